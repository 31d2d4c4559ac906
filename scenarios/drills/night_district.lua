-- Drill: a night with several cases in one district (Gwanak-gu).
--
-- What it trains: keeping several cases apart on one console at night:
-- which incident each patrol serves, which victim to call, and in what
-- order, while unrelated 112 calls take patrols too.  Three cases at
-- easy; normal adds a fourth case, a strap cut, a false alarm from the
-- towers by Sillim station and a traffic accident; hard adds a fifth case,
-- a dead tag battery, a centre outage, a bar fight and a single
-- dispatcher.
--
-- The story: between 23:00 and 01:00 around Sillim and Seoul National
-- University stations.  Each victim is at home.  Case 1's offender walks
-- up to her street (a true approach) and she presses her panic button;
-- case 2's offender rides Line 2 (signal lost underground; escalated
-- when the engine still places him near her) and comes up nearby; case 3's offender passes her building on his way home;
-- case 4's (normal, hard) paces the road by Sillim's towers 512-535 m from
-- her: never a true breach, but the towers' multipath pulls his fixes
-- towards her; case 5's (hard) loiters near her and his tag dies.
--
-- Ranges: each offender's start and when he sets out, how near case 4's
-- offender paces, when each inject happens.

scenario {
  name = "Drill: a night in Gwanak",
  start = "2026-03-06 23:00",        -- a Friday night, local time
  timezone = "+09:00",
  duration = "2h",
  seed = 1,
  origin = station("2", "신림"),
}

drill {
  title = "관악구의 밤 / A night in Gwanak",
  trains = "several cases and unrelated 112 calls on one console: keeping incidents, patrols and victims apart "
        .. "(3 cases at easy; 4 at normal with a strap cut, a canyon false alarm and a traffic accident; 5 at hard "
        .. "with a dead battery, a centre outage and a bar fight)",
  briefing = {
    ko = "금요일 밤 23시부터 관악구 신림역·서울대입구역 일대. 여러 사건의 피해자가 각자 집에 있습니다. "
      .. "순찰차는 세 대입니다.",
    en = "Friday night from 23:00 around Sillim and Seoul National University stations in Gwanak. Several "
      .. "victims are at home. Three patrol cars are on duty.",
  },
}

local lvl = level()

-- A case: a victim at home and an offender whose route the caller gives.
local cases = {}
local function new_case(n, home, offender_start, route, tag)
  local v = victim { name = "victim " .. n, start = home, phone = { interval = "60s" } }
  local o = offender {
    name = "offender " .. n, start = offender_start,
    tag = tag or { interval = "5m", moving_interval = "60s", pursuit_interval = "15s" },
    route = route,
  }
  case { offender = o, victim = v, alarm_radius = 500, prewarn_radius = 1000 }
  cases[n] = { v = v, o = o, home = home }
  return cases[n]
end

-- Case 1: a true approach to her street, then her panic call.
local home1 = place(37.4870, 126.9260)
new_case(1, home1, vary_place("offender 1 start", place(37.4780, 126.9150), 150), {
  walk { to = offset(home1, { east = 120, north = -80 }), depart = vary("offender 1 sets out", "23:05", "23:15") },
  wait "15m",
  walk { to = place(37.4780, 126.9150) },
})

-- Case 2: he rides Line 2 from Seoul National University to Sillim and
-- walks towards her (the ride is underground).
local line2 = subway_line { name = "2", stations = { "서울대입구(관악구청)", "봉천", "신림" } }
local home2 = place(37.4835, 126.9350)
local boards = vary("offender 2 boards", "23:30", "23:40")
new_case(2, home2, station("2", "서울대입구(관악구청)"), {
  wait(boards),
  subway { line = line2, from = "서울대입구(관악구청)", to = "신림" },
  walk { to = offset(home2, { east = -250, north = 150 }) },
  wait "10m",
  walk { to = station("2", "신림") },
})

-- Case 3: he passes her building on his way home.
local home3 = place(37.4790, 126.9400)
new_case(3, home3, place(37.4700, 126.9320), {
  walk { to = offset(home3, { east = 60, north = -60 }), depart = vary("offender 3 sets out", "23:50", "00:05") },
  walk { to = place(37.4880, 126.9480) },
})

-- Case 4 (normal, hard): he paces the road by Sillim's towers, 700 m down
-- to 512-535 m from her, the road pointing at her building.
local home4 = place(37.4905, 126.9180)
if lvl ~= "easy" then
  -- hard: nearer, so his fixes cross her 500 m more often (more false alarms)
  local near = lvl == "hard" and vary("how near offender 4 paces (m)", 503, 515)
               or vary("how near offender 4 paces (m)", 512, 535)
  local function toward(m) return offset(home4, { east = 0.7071 * m, north = -0.7071 * m }) end
  new_case(4, home4, toward(900), {
    walk { to = toward(near), depart = "23:10" }, walk { to = toward(700) },
    walk { to = toward(near) }, walk { to = toward(700) },
    walk { to = toward(near) }, walk { to = toward(700) },
    walk { to = toward(near) }, walk { to = toward(900) },
  }, { interval = "5m", moving_interval = "30s", pursuit_interval = "15s" })
  inject {
    kind = "canyon", name = "Sillim towers on case 4", level = "normal",
    place = toward(620), radius = 250, street_bearing = 135,
    at = "23:10", duration = "45m",
  }
end

-- Case 5 (hard): he loiters near her and his tag dies.
local home5 = place(37.4800, 126.9250)
if lvl == "hard" then
  new_case(5, home5, place(37.4720, 126.9200), {
    walk { to = offset(home5, { east = -300, north = -200 }), depart = vary("offender 5 sets out", "23:20", "23:30") },
    wait "40m",
    walk { to = place(37.4720, 126.9200) },
  })
end

safe_place { name = "신림 지구대 (예시)", at = place(37.4845, 126.9290), kind = "police_box" }

patrol { name = "관악 1 (Gwanak 1)", base = place(37.4845, 126.9290) }
patrol { name = "관악 2 (Gwanak 2)", base = place(37.4800, 126.9450) }
patrol { name = "관악 3 (Gwanak 3)", base = place(37.4880, 126.9150) }

dispatchers { count = by_level { easy = 2, normal = 2, hard = 1 }, handling = "exp 2m" }

inject {
  kind = "panic", name = "case 1: she sees him in her street", actor = cases[1].v,
  at = vary("panic 1", "23:28", "23:34"),
  who = "피해자 1 (victim 1)",
  says = { ko = "그 사람이 우리 골목에 있어요. 집 앞이에요.", en = "He is in my street. Right outside my house." },
}
inject {
  kind = "tunnel", name = "case 2: he rides Line 2", actor = cases[2].o,
  at = boards, duration = "6m",
}
inject {
  kind = "tamper", name = "case 3: strap cut near her", actor = cases[3].o, level = "normal",
  at = vary("tamper 3", "00:12", "00:16"),
}
if lvl == "hard" then
  inject {
    kind = "battery", name = "case 5: his tag dies near her", actor = cases[5].o, level = "hard",
    at = vary("battery 5", "23:45", "23:50"),
  }
end
inject {
  kind = "outage", name = "centre link down", level = "hard",
  at = vary("outage", "23:36", "23:38"), duration = "3m",
  who = "상황실 (centre)",
  says = { ko = "관제센터 회선 장애입니다. 위치 정보가 들어오지 않습니다.",
           en = "The monitoring centre's line is down. No positions are coming in." },
}

-- Unrelated 112 calls: they take a dispatcher and a patrol for a while.
inject {
  kind = "call", name = "a traffic accident (unrelated)", level = "normal",
  at = vary("accident", "23:20", "23:26"), place = place(37.4825, 126.9330), duration = "25m",
  what = "교통사고 (traffic accident)",
  who = "신고자 (caller)",
  says = { ko = "신림사거리에서 차 두 대가 부딪혔어요. 다친 사람이 있어요.",
           en = "Two cars crashed at the Sillim crossroads. Someone is hurt." },
}
inject {
  kind = "call", name = "a fight outside a bar (unrelated)", level = "hard",
  at = vary("fight", "23:42", "23:48"), place = place(37.4852, 126.9265), duration = "30m",
  what = "주점 앞 싸움 (a fight outside a bar)",
  who = "신고자 (caller)",
  says = { ko = "술집 앞에서 남자 둘이 싸우고 있어요.", en = "Two men are fighting outside the bar." },
}
