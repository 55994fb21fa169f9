-- wrk script: GET /v1/leads/{id} for random leads (BENCH_KEY, BENCH_LEADS).
local leads = tonumber(os.getenv("BENCH_LEADS") or "10000")
function init(args)
  math.randomseed(os.time() + math.random(1, 100000))
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
end
request = function()
  return wrk.format("GET", string.format("/v1/leads/L%07d", math.random(1, leads)))
end
