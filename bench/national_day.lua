-- A national-scale day for bench_sim: 5,000 offender-victim pairs spread
-- over Seoul for 24 simulated hours.  Tags report every 60 s (15 s in
-- pursuit), phones every 60 s; GNSS noise is on.  Everybody commutes: home,
-- work, home, by car or on foot; one offender in fifty drives to his
-- victim's workplace at lunch and waits there (true approaches).  Random
-- draws follow the seed, so the day is the same on every run.

local pairs_n = 5000

scenario {
  name = "national day",
  start = "2026-03-02 00:00",
  duration = "24h",
  seed = 7,
  origin = place(37.5519, 126.9918),      -- central Seoul
}

-- Seoul's extent, roughly: 37.45-37.65 N, 126.85-127.15 E.
local function somewhere()
  return place(37.46 + 0.18 * math.random(), 126.86 + 0.28 * math.random())
end

local function clock(minutes)
  return string.format("%02d:%02d", minutes // 60, minutes % 60)
end

local function commute(home, work, leave, back)
  local mode = math.random() < 0.6 and drive or walk
  return {
    wait(clock(leave)),
    mode { to = work },
    wait(clock(back)),
    mode { to = home },
  }
end

for i = 1, pairs_n do
  local vhome, vwork = somewhere(), somewhere()
  local ohome, owork = somewhere(), somewhere()
  local v = victim {
    name = "v" .. i, start = vhome,
    phone = { interval = "60s", moving_interval = "60s" },
    route = commute(vhome, vwork, 420 + math.random(0, 120), 1020 + math.random(0, 120)),
  }
  local oroute
  if i % 50 == 0 then
    oroute = { wait(clock(600 + math.random(0, 60))), drive { to = vwork }, wait "1h", drive { to = ohome } }
  else
    oroute = commute(ohome, owork, 420 + math.random(0, 120), 1020 + math.random(0, 120))
  end
  local o = offender {
    name = "o" .. i, start = ohome,
    tag = { interval = "60s", moving_interval = "60s", pursuit_interval = "15s" },
    route = oroute,
  }
  case { offender = o, victim = v }
end

for i = 1, 40 do
  patrol { name = "patrol " .. i, base = somewhere() }
end

dispatchers { count = 8, handling = "exp 3m" }
