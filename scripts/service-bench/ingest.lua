-- wrk script: POST /v1/batch with 100 Segment track events per request, each with a unique
-- messageId, spread over LEADS leads (environment variables BENCH_KEY and BENCH_LEADS).
local counter = 0
local leads = tonumber(os.getenv("BENCH_LEADS") or "10000")
local types = {"website_visit", "pricing_page_view", "email_opened", "whitepaper_download", "webinar_attended"}
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function init(args)
  math.randomseed(os.time() + (tid or 0) * 7919)
  wrk.headers["Authorization"] = "Basic " .. os.getenv("BENCH_BASIC")
  wrk.headers["Content-Type"] = "application/json"
end

request = function()
  local parts = {}
  for i = 1, 100 do
    counter = counter + 1
    local lead = math.random(1, leads)
    parts[i] = string.format(
      '{"type":"track","userId":"L%07d","event":"%s","messageId":"t%d-%d-%d","timestamp":"2026-12-01T10:%02d:%02dZ","properties":{"value":%d}}',
      lead, types[math.random(1, #types)], tid or 0, os.time(), counter, math.random(0, 59), math.random(0, 59), math.random(1, 5))
  end
  return wrk.format("POST", "/v1/batch", nil, '{"batch":[' .. table.concat(parts, ",") .. ']}')
end
