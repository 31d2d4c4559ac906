-- Drill: an apartment complex at night (Yeouido).
--
-- What it trains: a night approach to her home, where the exclusion zone
-- around the complex opens the alarm before the 500 m radius does; her
-- panic call from inside; a tag whose battery dies while he is near her
-- home (escalate, treat it as a risk: silence is not safety); from normal
-- up a strap cut at the edge of the zone and towers that make his fixes
-- jump; at hard a centre outage in the middle of it, an unrelated call
-- from the next block and one dispatcher on the desk.
--
-- The story: she lives in an apartment complex on Yeouido's west side.
-- He lives across the river in Mapo and crosses Mapo Bridge on foot late
-- in the evening, paces the riverside park's path (650 m down to 512-535 m
-- from her home; towers: his fixes may jump towards her), then walks to
-- the edge of her complex.  The complex is an exclusion zone from 20:00
-- to 07:00.
--
-- Ranges: when he sets out, where on the Mapo side he starts, where he
-- paces, how near her home he comes, when each inject happens.

scenario {
  name = "Drill: Yeouido apartments at night",
  start = "2026-03-04 22:30",        -- a Wednesday, local time
  timezone = "+09:00",
  duration = "1h30m",
  seed = 1,
  origin = place(37.5260, 126.9290),
}

drill {
  title = "여의도 아파트 단지 야간 / Yeouido apartments at night",
  trains = "a night approach caught by the home zone, a panic call from home, a dead tag battery near her "
        .. "(escalate), a strap cut at the zone edge and tower multipath (normal), a centre outage (hard)",
  briefing = {
    ko = "23시 전후 여의도 서쪽 아파트 단지. 피해자는 자택(접근금지구역, 20:00~07:00)에 있습니다. "
      .. "가해자는 마포 쪽에 거주합니다.",
    en = "Around 23:00 at an apartment complex on Yeouido's west side. The victim is at home (an "
      .. "exclusion zone from 20:00 to 07:00). The offender lives on the Mapo side of the river.",
  },
}

local home = place(37.5234, 126.9268)                 -- the complex
exclusion_zone {
  name = "home", center = home, radius = 250,
  schedule = { { days = "daily", from = "20:00", to = "24:00" },
               { days = "daily", from = "00:00", to = "07:00" } },
}

-- The towers by the riverside park, whose path he paces from 650 m down
-- to 512-535 m from her home, the path pointing at the complex (normal and
-- hard): multipath moves his fixes along it, towards her; an alarm from
-- there is false.
-- hard: nearer, so his fixes cross her 500 m more often (more false alarms)
local stop = level() == "hard" and vary("how near he paces (m from her home)", 503, 515)
             or vary("how near he paces (m from her home)", 512, 535)
local function toward_home(m)               -- m metres from her home, north-east of it
  return offset(home, { east = m * 0.7071, north = m * 0.7071 })
end
local park, park_near = toward_home(650), toward_home(stop)
inject {
  kind = "canyon", name = "tower multipath by the riverside park", level = "normal",
  place = park, radius = 250, street_bearing = 45,
  at = "22:30", duration = "45m",
}

safe_place { name = "여의도 지구대 (예시)", at = place(37.5247, 126.9236), kind = "police_box" }

local v = victim {
  name = "victim", start = home,
  phone = { interval = "60s" },
}

local start = vary_place("his start", place(37.5440, 126.9440), 200)   -- Mapo, north of the bridge
local turn = vary("how near he comes (m north of her home)", 120, 220)
local o = offender {
  name = "offender", start = start,
  tag = { interval = "5m", moving_interval = "30s", pursuit_interval = "15s" },
  route = {
    walk { to = place(37.5335, 126.9380), depart = vary("he sets out", "22:35", "22:45") }, -- Mapo Bridge
    walk { to = park_near }, walk { to = park }, walk { to = park_near },  -- he paces the park's path
    walk { to = park }, walk { to = park_near }, walk { to = park },
    walk { to = park_near }, walk { to = park },
    walk { to = offset(home, { east = 60, north = turn }) },
    wait "12m",
    walk { to = place(37.5335, 126.9380) },
  },
}

patrol { name = "여의도 1 (Yeouido 1)", base = place(37.5247, 126.9236) }
patrol { name = "여의도 2 (Yeouido 2)", base = place(37.5190, 126.9400) }
patrol { name = "마포 3 (Mapo 3)", base = place(37.5440, 126.9510) }

case { offender = o, victim = v, alarm_radius = 500, prewarn_radius = 1000, zones = { "home" } }

dispatchers { count = by_level { easy = 2, normal = 2, hard = 1 }, handling = "exp 2m" }

inject {
  kind = "panic", name = "she sees him from her window", actor = v,
  at = vary("panic", "23:12", "23:16"),
  who = "피해자 (victim)",
  says = { ko = "창밖에 그 사람이 서 있어요. 문은 잠갔어요.",
           en = "He is standing outside my window. I have locked the door." },
}
inject {
  kind = "tamper", name = "strap cut at the zone edge", actor = o, level = "normal",
  at = vary("tamper", "23:18", "23:21"),
}
inject {
  kind = "battery", name = "his tag battery dies near her", actor = o,
  at = vary("battery", "23:24", "23:27"),
}
inject {
  kind = "outage", name = "centre link down", level = "hard",
  at = vary("outage", "23:05", "23:08"), duration = "3m",
  who = "상황실 (centre)",
  says = { ko = "관제센터 서버가 응답하지 않습니다.", en = "The monitoring centre's server is not answering." },
}
inject {
  kind = "call", name = "a noise complaint turned fight (unrelated)", level = "hard",
  at = vary("neighbours", "23:10", "23:14"), place = place(37.5215, 126.9320), duration = "25m",
  what = "이웃 간 다툼 (neighbours fighting)",
  who = "신고자 (caller)",
  says = { ko = "옆집에서 소리를 지르며 싸우고 있어요.", en = "The neighbours are shouting and fighting." },
}
