-- Drill: the school run (Seocho, a weekday morning).
--
-- What it trains: an offender driving past the child's school while its
-- exclusion zone is in force (the zone, not her 500 m, opens the alarm);
-- his car going through a road tunnel near the school (signal lost near
-- the victim: escalate); the victim's panic call at the school gate; from
-- normal up a strap cut in the car and a false alarm from the towers
-- along Seocho-daero; at hard a dead tag battery, a centre outage as he
-- comes back and an unrelated call that wants the same patrols.
--
-- The story: she walks her son to his primary school by Seoul National
-- University of Education station for 08:30 and stays at the gate.  The
-- school is an exclusion zone on school days 08:00-16:00.  He drives in
-- from Bangbae through a short underpass, paces the pavement of
-- Seocho-daero north of the school (700 m down to 512-535 m from her),
-- drives past the school at 08:47 and parks a few blocks east or west.
--
-- Ranges: when they leave home, when he sets out and where from, how near
-- he paces, on which side and how far he parks, when each inject happens.

scenario {
  name = "Drill: the school run",
  start = "2026-03-05 07:50",        -- a Thursday, local time
  timezone = "+09:00",
  duration = "1h40m",
  seed = 1,
  origin = station("2", "교대"),
}

drill {
  title = "등굣길 / The school run",
  trains = "a drive past a school in its zone hours, signal lost in an underpass near her (escalate), a panic "
        .. "call at the gate, a strap cut and a canyon false alarm (normal), a dead battery and a centre outage (hard)",
  briefing = {
    ko = "목요일 아침 서초구. 피해자는 8시 30분까지 교대역 근처 초등학교에 아들을 데려다 주고 정문에 있습니다. "
      .. "학교는 등교일 08:00~16:00 접근금지구역입니다. 가해자는 방배동 쪽에 삽니다.",
    en = "Thursday morning in Seocho. The victim walks her son to his primary school by Seoul National "
      .. "University of Education station for 08:30 and waits at the gate. The school is an exclusion zone on "
      .. "school days 08:00-16:00. The offender lives in Bangbae.",
  },
}

local school = place(37.4880, 127.0120)
exclusion_zone {
  name = "school", center = school, radius = 200,
  schedule = { days = "Mon-Fri", from = "08:00", to = "16:00" },
}
local gate = offset(school, { north = 60 })       -- where she waits

-- A point m metres from the gate up Seocho-daero (bearing 340 degrees).
local function up_the_road(m)
  return offset(gate, { east = -0.342 * m, north = 0.940 * m })
end

-- The towers along Seocho-daero, where he first paces from 700 m down to
-- 512-535 m from her (normal and hard): multipath along the road moves
-- his fixes towards her; an alarm from there is false.
inject {
  kind = "canyon", name = "Seocho-daero towers", level = "normal",
  place = up_the_road(620), radius = 250, street_bearing = 160,
  at = "08:20", duration = "26m",
}

safe_place { name = "서초 지구대 (예시)", at = place(37.4905, 127.0145), kind = "police_box" }

local home = place(37.4935, 127.0195)
local v = victim {
  name = "victim", start = home,
  phone = { interval = "60s", moving_interval = "30s" },
  route = {
    walk { to = gate, depart = vary("they leave home", "08:10", "08:15") },
    wait "55m",
    walk { to = home },
  },
}

-- hard: nearer, so his fixes cross her 500 m more often (more false alarms)
local near = level() == "hard" and vary("how near he paces (m)", 503, 515) or vary("how near he paces (m)", 512, 535)
-- Where he parks after passing the school: east or west of it, 650-800 m.
local side = choose("the side he parks on", { 1, -1 })
local parked = offset(school, { east = side * vary("how far he parks (m)", 650, 800), north = -150 })
local o = offender {
  name = "offender",
  start = vary_place("his start", place(37.4815, 126.9930), 150),     -- Bangbae
  tag = { interval = "5m", moving_interval = "30s", pursuit_interval = "15s" },
  route = {
    drive { to = place(37.4870, 127.0085), depart = vary("he sets out", "08:15", "08:18"), speed = 7 },
    drive { to = up_the_road(700), speed = 8 },
    walk { to = up_the_road(near) }, walk { to = up_the_road(700) },     -- he paces the pavement
    walk { to = up_the_road(near) }, walk { to = up_the_road(700) },
    walk { to = up_the_road(near) }, walk { to = up_the_road(700) },
    drive { to = offset(school, { north = -60 }), depart = "08:47", speed = 6 },   -- past the school
    drive { to = parked, speed = 8 },
    wait "20m",
    drive { to = place(37.5000, 127.0160), speed = 9 },
    drive { to = place(37.4815, 126.9930), speed = 10 },
  },
}

patrol { name = "서초 1 (Seocho 1)", base = place(37.4921, 127.0068) }
patrol { name = "서초 2 (Seocho 2)", base = place(37.4840, 127.0180) }
patrol { name = "방배 3 (Bangbae 3)", base = place(37.4810, 126.9970) }

case { offender = o, victim = v, alarm_radius = 500, prewarn_radius = 1000, zones = { "school" } }

dispatchers { count = by_level { easy = 2, normal = 2, hard = 1 }, handling = "exp 2m" }

inject {
  kind = "tunnel", name = "the underpass", actor = o,
  at = vary("underpass", "08:19", "08:20"), duration = "4m",
}
inject {
  kind = "panic", name = "she sees his car at the gate", actor = v,
  at = vary("panic", "08:50", "08:53"),
  who = "피해자 (victim)",
  says = { ko = "학교 앞에 그 사람 차가 지나갔어요. 아이가 아직 안에 있어요.",
           en = "His car just went past the school. My son is still inside." },
}
inject {
  kind = "tamper", name = "strap cut in the parked car", actor = o, level = "normal",
  at = vary("tamper", "08:58", "09:01"),
}
inject {
  kind = "battery", name = "his tag battery dies", actor = o, level = "hard",
  at = vary("battery", "09:04", "09:07"),
}
inject {
  kind = "outage", name = "centre link down", level = "hard",
  at = vary("outage", "08:54", "08:56"), duration = "2m",
  who = "상황실 (centre)",
  says = { ko = "관제센터 연결 끊김. 수동 절차로 전환하십시오.", en = "Monitoring centre link lost. Switch to the manual procedure." },
}
inject {
  kind = "call", name = "a shoplifter held at a store (unrelated)", level = "hard",
  at = vary("shoplifter", "08:49", "08:53"), place = place(37.4905, 127.0170), duration = "25m",
  what = "절도 용의자 (a shoplifter held)",
  who = "신고자 (caller)",
  says = { ko = "편의점에서 물건을 훔친 사람을 붙잡고 있어요.", en = "We are holding a man who stole from the store." },
}
