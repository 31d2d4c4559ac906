-- A regional day for workload: 200 cases with daily routines across
-- Seoul, 20 patrols and 3 dispatchers, 24 hours.
--
-- What it tests: the 112 desk and patrols under a day's load.  Everybody
-- commutes (home, work, home, by car or on foot); one offender in twenty
-- drives to his victim's workplace at lunch (true approaches).
-- What to expect: about ten true approaches, most detected (commutes that
-- cross by chance add a few dozen short true breaches on top); a handful of
-- false alerts from canyons and cell fallback; incidents per
-- dispatcher-hour well under one, and the queue wait mostly zero.  Scale
-- `cases` and `dispatchers` in a sweep to find the staffing limit.
-- bench_sim runs it at national scale: cases = 5000, tag_interval_s = 60,
-- patrols = 40, approach_every = 50.

local cases_n = param("cases", 200)
local tag_interval = param("tag_interval_s", 300)      -- at rest; 60 s while moving
local patrols_n = param("patrols", 20)
local approach_every = param("approach_every", 20)

scenario {
  name = "Regional day",
  start = "2026-03-03 00:00",
  duration = "24h",
  seed = 20,
  origin = place(37.5519, 126.9918),      -- central Seoul
}

environment { kind = "urban_heavy", center = station("2", "역삼"), radius = 800, street_bearing = 70 }
environment { kind = "urban_heavy", center = station("5", "여의도"), radius = 700 }

local function somewhere()
  return place(37.46 + 0.18 * math.random(), 126.86 + 0.28 * math.random())
end

local function clock(minutes)
  return string.format("%02d:%02d", minutes // 60, minutes % 60)
end

local function commute(home, work, leave, back)
  local mode = math.random() < 0.6 and drive or walk
  return { wait(clock(leave)), mode { to = work }, wait(clock(back)), mode { to = home } }
end

for i = 1, cases_n do
  local vhome, vwork = somewhere(), somewhere()
  local ohome, owork = somewhere(), somewhere()
  local v = victim {
    name = "victim " .. i, start = vhome,
    phone = { interval = "60s" },
    route = commute(vhome, vwork, 420 + math.random(0, 120), 1020 + math.random(0, 120)),
  }
  local route
  if i % approach_every == 0 then
    route = { wait(clock(660 + math.random(0, 60))), drive { to = vwork }, wait "40m", drive { to = ohome } }
  else
    route = commute(ohome, owork, 420 + math.random(0, 120), 1020 + math.random(0, 120))
  end
  local o = offender {
    name = "offender " .. i, start = ohome,
    tag = { interval = tag_interval, moving_interval = "60s" },
    route = route,
  }
  case { offender = o, victim = v }
end

for i = 1, patrols_n do
  patrol { name = "patrol " .. i, base = somewhere() }
end

dispatchers { count = 3, handling = "exp 3m" }

-- Ten planted approaches (one case in `approach_every`) stay 40 min at the
-- victim's workplace; the commutes of 200 random pairs also cross by
-- chance, so the true breaches are the approaches and a few dozen short
-- crossings on top.  Figures scale with the parameters.
local approaches = approach_every >= 1 and math.floor(cases_n / approach_every) or 0
expect {
  true_breaches = {min = approaches},
  detected = {min = math.floor(approaches * 0.8)},  -- most of the approaches at least
  false_alerts = {max = 5},                    -- a handful
  incidents_per_dispatcher_hour = {max = 0.75},-- well under one
  queue_wait_median = 0,                       -- mostly no wait at all
  unauthorized_disclosures = 0,
}
