-- wrk script: PATCH /v1/leads/{id} for random leads with a changed attribute (BENCH_KEY, BENCH_LEADS).
local leads = tonumber(os.getenv("BENCH_LEADS") or "10000")
local counter = 0
function init(args)
  math.randomseed(os.time() + math.random(1, 100000))
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
  wrk.headers["Content-Type"] = "application/json"
end
request = function()
  counter = counter + 1
  return wrk.format("PATCH", string.format("/v1/leads/L%07d", math.random(1, leads)), nil,
    string.format('{"attributes":{"emails_opened":%d,"time_on_site_sec":%d}}', counter % 40, counter % 900))
end
