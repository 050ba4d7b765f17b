-- wrk driver for tests/load/compare.sh: every request is made as a different, random seeded
-- user. IDS is "first:step:count": user ids first, first+step, ... (every user: 1:1:2000; the
-- clinicians: 100:100:20). With AUTH=bearer the request carries that user's benchmark session
-- token ("bench-<id>", created by compare.sh); with AUTH=none the id is put into the body
-- instead (every "__ID__" in BODY_FILE), for a peer that has no sessions of ours.
-- Counts as an error every response that is not a 200 or that carries GraphQL "errors", and
-- prints one RESULT line: requests, requests/s, p50 ms, p99 ms, errors.

local body_file = os.getenv("BODY_FILE")
local auth = os.getenv("AUTH") or "bearer"
local first, step, count = string.match(os.getenv("IDS") or "1:1:1000", "(%d+):(%d+):(%d+)")
first, step, count = tonumber(first), tonumber(step), tonumber(count)

local file = assert(io.open(body_file, "r"))
local template = file:read("*a")
file:close()

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function init(args)
  errors = 0
  math.randomseed(os.time() * 1000 + thread_id)
end

function request()
  local id = first + step * math.random(0, count - 1)
  local headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
  local body = template
  if auth == "bearer" then
    headers["Authorization"] = "Bearer bench-" .. id
  else
    body = string.gsub(template, "__ID__", tostring(id))
  end
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  -- Other statuses are counted by wrk itself (summary.errors.status).
  if status == 200 and string.find(body, '"errors"', 1, true) then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local failed = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout + summary.errors.status
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("errors")
  end
  io.write(string.format("RESULT %d %.1f %.2f %.2f %d\n",
    summary.requests,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000,
    latency:percentile(99) / 1000,
    failed))
end
