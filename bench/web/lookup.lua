-- wrk script: voter lookups at random among the ids in $IDS (one per line), the same for
-- veedor and nginx. Prints one RESULT line that run.sh reads.
local ids = {}
local path = os.getenv("IDS") or "ids.txt"
for line in io.lines(path) do
  if #line > 0 then ids[#ids + 1] = line end
end

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init(args)
  math.randomseed(seed or os.time())
end

function request()
  return wrk.format("GET", "/api/v1/lookup/" .. ids[math.random(#ids)])
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT requests=%d rps=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%d\n",
    summary.requests, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, errors))
end
