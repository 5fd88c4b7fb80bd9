-- wrk script: GET /v1/users/{random user}/promos, for users seeded by
-- `flashpromo-bench query --run RUN --users N`. Usage:
--   wrk -t2 -c64 -d10s -s scripts/user-promos.lua http://127.0.0.1:8080 -- RUN N
local run, users
function init(args)
  run, users = args[1], tonumber(args[2])
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end
function request()
  return wrk.format("GET", string.format("/v1/users/%s-u%07d/promos", run, math.random(0, users - 1)))
end
