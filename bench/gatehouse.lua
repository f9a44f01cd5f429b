-- wrk script for bench/run: one script, several modes, an error count that
-- looks at bodies (GraphQL answers errors with HTTP 200), and one JSON line
-- of results for bench/run to parse.
--
--   wrk ... -s bench/gatehouse.lua URL -- MODE THREADS [FILE]
--
-- MODE   plain       GET the URL's path (ceiling, healthz)
--        graphql_me  POST /graphql `query { me { id username } }`, one access
--                    token per line of FILE, in turn
--        rest_me     GET /api/users/me with those tokens
--        refresh     POST /graphql refreshToken(refreshToken:): FILE holds
--                    refresh tokens; each answer's new token goes back into
--                    the thread's pool, so every request presents a fresh one
--        login       POST /graphql tokenAuth: FILE holds `username password`
-- THREADS  wrk's -t, so each thread can take its share of FILE's lines.

-- GATEHOUSE_WRK_DELAY_MS=N paces each connection: N ms between its
-- requests (wrk's delay() hook; latency is timed from the send, so the pause
-- is not counted). Used for the latency probe of me_under_login_flood.
local pace = tonumber(os.getenv("GATEHOUSE_WRK_DELAY_MS") or "")
if pace then
   function delay()
      return pace
   end
end

local threads = {}
local next_id = 0

function setup(thread)
   next_id = next_id + 1
   thread:set("id", next_id)
   table.insert(threads, thread)
end

-- Per-thread state (each wrk thread has its own Lua state).
local mode
local requests = {}
local cursor = 0
local pool = {}
-- Globals, so done() can read them with thread:get().
errors = 0
bad_status = 0
body_errors = 0
starved = 0

local function json_post(path, auth, body)
   local headers = { ["Content-Type"] = "application/json" }
   if auth then
      headers["Authorization"] = "Bearer " .. auth
   end
   return wrk.format("POST", path, headers, body)
end

local function lines_for_me(file, nthreads)
   local mine = {}
   local i = 0
   for line in io.lines(file) do
      if line ~= "" then
         if i % nthreads == id - 1 then
            table.insert(mine, line)
         end
         i = i + 1
      end
   end
   return mine
end

local ME = '{"query":"query { me { id username } }"}'
local LOGIN = 'mutation($u: String!, $p: String!) { tokenAuth(username: $u, password: $p) { token refreshToken } }'
local REFRESH = 'mutation($r: String!) { refreshToken(refreshToken: $r) { token refreshToken refreshExpiresIn } }'

function init(args)
   mode = args[1]
   local nthreads = tonumber(args[2] or "1")
   local file = args[3]
   if mode == "plain" then
      requests = { wrk.format("GET", wrk.path) }
   elseif mode == "graphql_me" then
      for _, token in ipairs(lines_for_me(file, nthreads)) do
         table.insert(requests, json_post("/graphql", token, ME))
      end
   elseif mode == "rest_me" then
      for _, token in ipairs(lines_for_me(file, nthreads)) do
         table.insert(requests, wrk.format("GET", "/api/users/me",
            { ["Authorization"] = "Bearer " .. token }))
      end
   elseif mode == "login" then
      for _, line in ipairs(lines_for_me(file, nthreads)) do
         local u, p = line:match("^(%S+) (.+)$")
         local body = '{"query":"' .. LOGIN .. '","variables":{"u":"' .. u .. '","p":"' .. p .. '"}}'
         table.insert(requests, json_post("/graphql", nil, body))
      end
   elseif mode == "refresh" then
      pool = lines_for_me(file, nthreads)
   else
      error("unknown mode " .. tostring(mode))
   end
   if mode ~= "refresh" and #requests == 0 then
      error("no requests for thread " .. id .. " in " .. tostring(file))
   end
end

function request()
   if mode == "refresh" then
      local token = table.remove(pool)
      if token == nil then
         -- Every token this thread had is in flight or was lost to an error:
         -- send one that cannot work, so the shortage shows as errors.
         starved = starved + 1
         token = "ghr_starved"
      end
      return json_post("/graphql", nil,
         '{"query":"' .. REFRESH .. '","variables":{"r":"' .. token .. '"}}')
   end
   cursor = cursor % #requests + 1
   return requests[cursor]
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      bad_status = bad_status + 1
      errors = errors + 1
      return
   end
   if mode == "plain" or mode == "rest_me" then
      return
   end
   if body:find('"errors"', 1, true) then
      body_errors = body_errors + 1
      errors = errors + 1
      return
   end
   if mode == "refresh" then
      local token = body:match('"refreshToken":"(ghr_[%w_%-]+)"')
      if token then
         table.insert(pool, token)
      else
         body_errors = body_errors + 1
         errors = errors + 1
      end
   end
end

function done(summary, latency, _)
   local lua_errors, status, body, starving = 0, 0, 0, 0
   for _, t in ipairs(threads) do
      lua_errors = lua_errors + (t:get("errors") or 0)
      status = status + (t:get("bad_status") or 0)
      body = body + (t:get("body_errors") or 0)
      starving = starving + (t:get("starved") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'GATEHOUSE_WRK {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,'
         .. '"errors":%d,"bad_status":%d,"body_errors":%d,"starved":%d,'
         .. '"connect":%d,"read":%d,"write":%d,"timeout":%d}\n',
      summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      lua_errors, status, body, starving,
      e.connect, e.read, e.write, e.timeout))
end
