-- Drill: Gangnam station at morning rush hour.
--
-- What it trains: dispatching to a true approach in a crowd at a subway
-- exit, calling back a victim who pressed her panic button, treating a
-- tag that goes silent underground near her as a risk (escalation), and,
-- from normal up, a strap cut near her and a false alarm thrown by the
-- side-street canyon on a second case.  Hard adds a dying tag battery, a
-- two-minute monitoring-centre outage while the first incident is open,
-- and an unrelated 112 call (a man collapsed at an exit) that competes for
-- the nearest patrol.
--
-- The story: she comes up from Line 2 at Gangnam around 08:05 and walks
-- to her office by exit 11.  He is under a 500 m order and walks from
-- Sinnonhyeon towards the station; he goes underground (the concourse)
-- for a few minutes near her.  A second offender (case 2) walks a side
-- street of towers north of Yeoksam, 505 to 540 m from his victim's office
-- at the nearest: never a true breach, but the canyon's multipath can put
-- his fixes inside her 500 m.
--
-- Ranges: when he leaves and where he starts, when she comes up, when the
-- injects happen (a minute or two either way), how near case 2's offender
-- comes to his victim, how heavy Teheran-ro's canyon is.

scenario {
  name = "Drill: Gangnam rush hour",
  start = "2026-03-03 07:40",        -- a Tuesday, local time
  timezone = "+09:00",
  duration = "1h30m",
  seed = 1,
  origin = station("2", "강남"),
}

drill {
  title = "강남역 출근길 / Gangnam station at rush hour",
  trains = "a true approach at a crowded exit, a panic call-back, signal loss underground near her, "
        .. "a strap cut near her and a canyon false alarm (normal), a dead tag battery, a centre outage and an unrelated call (hard)",
  briefing = {
    ko = "08시 전후 강남역 일대. 피해자 A는 2호선으로 출근해 11번 출구 근처 사무실로 걸어갑니다. "
      .. "가해자 A는 신논현 쪽에서 출발합니다. 사건 2의 피해자는 역삼역 근처 빌딩에서 근무합니다.",
    en = "Around 08:00 at Gangnam station. Victim A commutes on Line 2 and walks to her office by exit 11. "
      .. "Offender A starts near Sinnonhyeon. Case 2's victim works in a tower by Yeoksam station.",
  },
}

-- The side street's canyon (declared before the Teheran-ro towers, so
-- that where both hold, its street axis is the one that counts).
inject {
  kind = "canyon", name = "side-street multipath on case 2", level = "normal",
  place = place(37.5070, 127.0371), radius = 450, street_bearing = 0,
  at = "07:45", duration = "1h",
}

-- The Teheran-ro towers, as in scenarios/teheran_canyon.lua; how much
-- they spoil GNSS varies from drill to drill.
environment {
  kind = choose("Teheran-ro's canyon", { "urban_heavy", "urban_light" }),
  polygon = { place(37.4990, 127.0250), place(37.5075, 127.0560),
              place(37.5040, 127.0575), place(37.4955, 127.0265) },
  street_bearing = 70,
}

safe_place { name = "강남역 지구대 (예시)", at = place(37.4990, 127.0290), kind = "police_box" }

local line2 = subway_line { name = "2", stations = { "교대", "강남" } }
local office = place(37.4993, 127.0300)                 -- by exit 11
local gangnam = station("2", "강남")

local victim_a = victim {
  name = "victim A",
  start = station("2", "교대"),
  phone = { interval = "60s", moving_interval = "30s" },
  route = {
    wait(vary("she boards", "07:58", "08:04")),
    subway { line = line2, from = "교대", to = "강남" },
    walk { to = office },
  },
}

local start_a = vary_place("his start", place(37.5045, 127.0250), 150)
local offender_a = offender {
  name = "offender A",
  start = start_a,
  tag = { interval = "5m", moving_interval = "60s", pursuit_interval = "15s" },
  route = {
    walk { to = place(37.4985, 127.0275), depart = vary("he leaves", "07:52", "08:00") },
    wait "15m",
    walk { to = place(37.5045, 127.0250) },
  },
}

-- Case 2: the canyon walker.  He walks a north-south side street of tall
-- towers down towards Teheran-ro and back, coming no closer than 505 to
-- 540 m to his victim's office: never a true breach, but multipath along
-- the street moves his fixes towards her.
local office_b = place(37.5000, 127.0367)                -- a tower by Yeoksam
local victim_b = victim {
  name = "victim B", start = office_b,
  phone = { interval = "60s" },
}
-- hard: nearer, so his fixes cross her 500 m more often (more false alarms)
local nearest = level() == "hard" and vary("case 2 nearest (m)", 502, 515) or vary("case 2 nearest (m)", 505, 540)
local offender_b = offender {
  name = "offender B",
  start = offset(office_b, { east = 40, north = 1200 }),
  tag = { interval = "60s", moving_interval = "30s" },
  route = {
    walk { to = offset(office_b, { east = 40, north = nearest }) },
    wait "4m",
    walk { to = offset(office_b, { east = 40, north = 1200 }) },
    wait "4m",
  },
  loop = true,
}

patrol { name = "강남 1 (Gangnam 1)", base = place(37.4950, 127.0330) }
patrol { name = "서초 2 (Seocho 2)", base = place(37.4921, 127.0068) }
patrol { name = "역삼 3 (Yeoksam 3)", base = place(37.5030, 127.0420) }

case { offender = offender_a, victim = victim_a, alarm_radius = 500, prewarn_radius = 1000 }
case { offender = offender_b, victim = victim_b, alarm_radius = 500, prewarn_radius = 1000 }

dispatchers { count = by_level { easy = 3, normal = 2, hard = 1 }, handling = "exp 90s" }

-- The injects.  What a caller says is on the trainee's page; it must not
-- give the answer away.
inject {
  kind = "panic", name = "her panic button", actor = victim_a,
  at = vary("panic", "08:14", "08:17"),
  who = "피해자 A (victim A)",
  says = { ko = "지금 출구 앞에 그 사람이 있어요. 저를 보고 있어요.",
           en = "He is right at the exit. He is looking at me." },
}
inject {
  kind = "tunnel", name = "he goes down into the concourse", actor = offender_a,
  at = vary("concourse", "08:21", "08:24"), duration = "7m",
}
inject {
  kind = "tamper", name = "strap cut near her", actor = offender_a, level = "normal",
  at = vary("tamper", "08:33", "08:36"),
}
inject {
  kind = "battery", name = "his tag battery dies", actor = offender_a, level = "hard",
  at = vary("battery", "08:40", "08:44"),
}
inject {
  kind = "outage", name = "centre link down", level = "hard",
  at = vary("outage", "08:17", "08:19"), duration = "2m",
  who = "상황실 (centre)",
  says = { ko = "관제센터 연결이 끊겼습니다. 위치 수신이 중단되었습니다.",
           en = "The monitoring centre link is down. No positions are coming in." },
}
inject {
  kind = "call", name = "a man collapsed at exit 10 (unrelated)", level = "hard",
  at = vary("collapse", "08:06", "08:10"), place = place(37.4975, 127.0285), duration = "20m",
  what = "쓰러진 남성 (a man collapsed)",
  who = "신고자 (caller)",
  says = { ko = "강남역 10번 출구 앞에 남자가 쓰러져 있어요.", en = "A man has collapsed outside Gangnam station exit 10." },
}
