-- wrk script of the catalogue benchmark: POST /graphql, request bodies read from the file named by BENCH_BODIES
-- (one JSON body per line), taken in turn (each thread starts at a different line). Counts GraphQL errors
-- (a 200 answer whose body has "errors") and prints one JSON line of results at the end, prefixed by RESULT.

local bodies_path = os.getenv("BENCH_BODIES")
local path = os.getenv("BENCH_PATH") or "/graphql"

local function read_bodies()
  local bodies = {}
  local file = assert(io.open(bodies_path, "r"), "cannot open " .. tostring(bodies_path))
  for line in file:lines() do
    if #line > 0 then
      bodies[#bodies + 1] = line
    end
  end
  file:close()
  assert(#bodies > 0, "no request body in " .. bodies_path)
  return bodies
end

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("id", thread_count)
  thread_count = thread_count + 1
  threads[#threads + 1] = thread
end

-- Per-thread globals (thread:get reads globals only).
requests = {}
position = 0
graphql_errors = 0
bad_status = 0

function init(args)
  local headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
  for index, body in ipairs(read_bodies()) do
    requests[index] = wrk.format("POST", path, headers, body)
  end
  -- BENCH_OFFSET: where this run starts in the file (each run of a P2 mix starts elsewhere, so a run does not
  -- replay the bodies the previous run already sent — the cache would answer them from that run).
  position = (id * 7919 + tonumber(os.getenv("BENCH_OFFSET") or "0")) % #requests
end

function request()
  position = position % #requests + 1
  return requests[position]
end

function response(status, headers, body)
  if status ~= 200 then
    bad_status = bad_status + 1
  elseif string.find(body, '"errors"', 1, true) then
    graphql_errors = graphql_errors + 1
  end
end

function done(summary, latency, requests_done)
  local errors = 0
  local statuses = 0
  for _, thread in ipairs(threads) do
    errors = errors + thread:get("graphql_errors")
    statuses = statuses + thread:get("bad_status")
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"latency_us":{"mean":%.1f,"stdev":%.1f,"min":%d,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d},' ..
    '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"non_2xx":%d,"bad_status":%d,"graphql_errors":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency.mean, latency.stdev, latency.min, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    e.connect, e.read, e.write, e.timeout, e.status, statuses, errors))
end
