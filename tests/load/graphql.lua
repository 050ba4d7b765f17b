-- wrk driver for tests/load/run.sh and tests/load/compare.sh: POSTs one GraphQL request per
-- call, from BODY_FILE, authenticated as AUTH says:
--   AUTH=token   the bearer token TOKEN on every request;
--   AUTH=bearer  a random seeded user per request, with that user's benchmark session token
--                ("bench-<id>", made by compare.sh); IDS="first:step:count" names the users
--                (every user: 1:1:2000; the clinicians: 100:100:20);
--   AUTH=none    a random seeded user per request, put into the body (every "__ID__"), for a
--                peer that has no sessions of ours;
--   AUTH=login   a login of a different seeded account each time (USERS, SEED_PASSWORD) from
--                a different client address (X-Forwarded-For; the server trusts the proxy).
-- METHOD=GET sends a GET of the URL wrk was given instead (the FHIR workload), no body.
-- Counts as an error every response that is not a 200, or carries GraphQL "errors"; prints
-- one RESULT line: requests, requests/s, p50 ms, p99 ms, errors.

local auth = os.getenv("AUTH") or "token"
local method = os.getenv("METHOD") or "POST"
local token = os.getenv("TOKEN") or ""
local users = tonumber(os.getenv("USERS") or "1000")
local password = os.getenv("SEED_PASSWORD") or ""
local first, step, count = string.match(os.getenv("IDS") or "1:1:1000", "(%d+):(%d+):(%d+)")
first, step, count = tonumber(first), tonumber(step), tonumber(count)

local template = "{}"
local body_file = os.getenv("BODY_FILE")
if body_file then
  local file = assert(io.open(body_file, "r"))
  template = file:read("*a")
  file:close()
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function init(args)
  errors = 0
  counter = 0
  math.randomseed(os.time() * 1000 + thread_id)
end

function request()
  local headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
  local body = template
  if auth == "token" then
    headers["Authorization"] = "Bearer " .. token
  elseif auth == "bearer" then
    headers["Authorization"] = "Bearer bench-" .. (first + step * math.random(0, count - 1))
  elseif auth == "none" then
    body = string.gsub(template, "__ID__", tostring(first + step * math.random(0, count - 1)))
  elseif auth == "login" then
    counter = counter + 1
    local n = 2 + (thread_id * 7919 + counter * 104729) % (users - 1)
    body = string.format(
      '{"query":"mutation($email: String!, $password: String!) { login(input: { email: $email, password: $password }) { token } }","variables":{"email":"user%d@seed.echo-health.test","password":"%s"}}',
      n, password)
    headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", thread_id, math.floor(counter / 250) % 250, counter % 250 + 1)
  end
  if method == "GET" then
    headers["Content-Type"] = nil
    headers["Accept"] = "application/fhir+json"
    return wrk.format("GET", nil, headers, nil)
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
