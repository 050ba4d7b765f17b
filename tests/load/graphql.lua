-- wrk driver for tests/load/run.sh: POSTs one GraphQL request (BODY_FILE) with a bearer token
-- (TOKEN), or, with MODE=login, a login of a different seeded account each time from a
-- different client address (X-Forwarded-For; the server trusts the local proxy). Counts as an
-- error every response that is not a 200, or carries GraphQL "errors"; prints one RESULT line.

local body_file = os.getenv("BODY_FILE")
local token = os.getenv("TOKEN") or ""
local mode = os.getenv("MODE") or ""
local users = tonumber(os.getenv("USERS") or "1000")
local password = os.getenv("SEED_PASSWORD") or ""

local file = assert(io.open(body_file, "r"))
local body = file:read("*a")
file:close()

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
if token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
wrk.body = body

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function init(args)
  errors = 0
  counter = 0
end

function request()
  if mode ~= "login" then
    return wrk.request()
  end
  counter = counter + 1
  local n = 2 + (thread_id * 7919 + counter * 104729) % (users - 1)
  local login = string.format(
    '{"query":"mutation($email: String!, $password: String!) { login(input: { email: $email, password: $password }) { token } }","variables":{"email":"user%d@seed.echo-health.test","password":"%s"}}',
    n, password)
  local headers = {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
    ["X-Forwarded-For"] = string.format("10.%d.%d.%d", thread_id, math.floor(counter / 250) % 250, counter % 250 + 1),
  }
  return wrk.format("POST", "/graphql", headers, login)
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
