#!lua
-- One commit of the Redis store, applied atomically by Redis: nothing else runs while
-- it does, and its effects reach the append-only file as one transaction.
--
-- It reads and checks everything first and writes only once every expectation held,
-- because Redis does not undo the writes of a script that fails half-way.
--
-- KEYS: 1 revision, 2 changes (stream), 3 audit (hash), 4 audit:all (sorted set);
--       then per check: its kind's document hash;
--       then per write: its kind's document hash, audit:kind:<kind>, audit:doc:<kind>:<key>.
-- ARGV: 1 actor, 2 action, 3 at (each already a JSON string), 4 audited ("1"/"0"),
--       5 expected revision ("" for none), 6 retention, 7 checks, 8 writes;
--       then per check: kind, key, expectation, version;
--       then per write: kind, key, key as a JSON string, expectation, version,
--       "1" with a body / "0" to delete, body.
-- Expectations: "any", "absent", "present", "version".
-- Returns {"ok", change as JSON}, {"stale", current revision},
--         {"conflict", "check"|"write", index (from 1), found version or ""},
--         or {"diverged", last revision in the feed} when the feed is ahead of the
--         revision counter (Redis lost data): nothing is written then.

local function int(n)
  return string.format('%d', n)
end

local function parse(stored)
  local a = string.find(stored, ':', 1, true)
  local b = string.find(stored, ':', a + 1, true)
  return tonumber(string.sub(stored, 1, a - 1)), string.sub(stored, b + 1)
end

local function holds(expect, wanted, found)
  if expect == 'any' then
    return true
  elseif expect == 'absent' then
    return found == nil
  elseif expect == 'present' then
    return found ~= nil
  end
  return found == tonumber(wanted)
end

local actor, action, at = ARGV[1], ARGV[2], ARGV[3]
local audited = ARGV[4] == '1'
local retention = tonumber(ARGV[6])
local checks, writes = tonumber(ARGV[7]), tonumber(ARGV[8])

local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if ARGV[5] ~= '' and tonumber(ARGV[5]) ~= current then
  return {'stale', int(current)}
end

local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)[1]
if last and tonumber(string.match(last[1], '^(%d+)')) > current then
  return {'diverged', string.match(last[1], '^(%d+)')}
end

local arg = 9
for i = 1, checks do
  local key, expect, wanted = ARGV[arg + 1], ARGV[arg + 2], ARGV[arg + 3]
  arg = arg + 4
  local stored = redis.call('HGET', KEYS[4 + i], key)
  local found = nil
  if stored then
    found = parse(stored)
  end
  if not holds(expect, wanted, found) then
    return {'conflict', 'check', int(i), found and int(found) or ''}
  end
end

-- The writes in order, each against the state the ones before it left.
local overlay = {}
local planned = {}
for j = 1, writes do
  local kind, key, key_json = ARGV[arg], ARGV[arg + 1], ARGV[arg + 2]
  local expect, wanted = ARGV[arg + 3], ARGV[arg + 4]
  local put, body = ARGV[arg + 5] == '1', ARGV[arg + 6]
  arg = arg + 7
  local base = 4 + checks + 3 * (j - 1)
  local hash = KEYS[base + 1]
  overlay[hash] = overlay[hash] or {}
  local state = overlay[hash][key]
  local found, before = nil, nil
  if state == nil then
    local stored = redis.call('HGET', hash, key)
    if stored then
      found, before = parse(stored)
    end
  elseif state then
    found, before = state[1], state[2]
  end
  if not holds(expect, wanted, found) then
    return {'conflict', 'write', int(j), found and int(found) or ''}
  end
  if put then
    local version = (found or 0) + 1
    overlay[hash][key] = {version, body}
    planned[#planned + 1] = {hash, kind, key, key_json, version, body, before, base}
  elseif found ~= nil then
    overlay[hash][key] = false
    planned[#planned + 1] = {hash, kind, key, key_json, found, nil, before, base}
  end
end

-- Every expectation held: write.
local revision = redis.call('INCR', KEYS[1])
local head = '{"revision":' .. int(revision) .. ',"actor":' .. actor .. ',"action":' .. action
  .. ',"at":' .. at
local entries = {}
for n, p in ipairs(planned) do
  local hash, kind, key, key_json, version, body, before, base =
    p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]
  if body then
    redis.call('HSET', hash, key, int(version) .. ':' .. int(revision) .. ':' .. body)
  else
    redis.call('HDEL', hash, key)
  end
  entries[#entries + 1] = '{"kind":"' .. kind .. '","key":' .. key_json .. ',"version":'
    .. int(version) .. ',"body":' .. (body or 'null') .. '}'
  if audited then
    local position = string.format('%020d:%010d', revision, n - 1)
    local event = head .. ',"kind":"' .. kind .. '","key":' .. key_json .. ',"before":'
      .. (before or 'null') .. ',"after":' .. (body or 'null') .. '}'
    redis.call('HSET', KEYS[3], position, event)
    redis.call('ZADD', KEYS[4], 0, position)
    redis.call('ZADD', KEYS[base + 2], 0, position)
    redis.call('ZADD', KEYS[base + 3], 0, position)
  end
end
local change = head .. ',"entries":[' .. table.concat(entries, ',') .. ']}'
redis.call('XADD', KEYS[2], 'MAXLEN', retention, int(revision) .. '-0', 'change', change)
return {'ok', change}
