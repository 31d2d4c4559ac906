-- Victim and offender on the same Line 2 train, from Yeoksam to City Hall
-- (the long way round, through Jamsil), both underground for most of an hour.
--
-- What it tests: GNSS lost for both devices at once.  Both report cell
-- positions (hundreds of metres); the true distance is a few metres.
-- What to expect: one long true breach, detected within seconds: two
-- coarse positions close together are still "plausibly within 500 m".
-- The alarm may close and reopen as the cell positions jump (several
-- episodes, all true).

scenario {
  name = "Same train on Line 2",
  start = "2026-03-03 08:00",
  duration = "75m",
  seed = 15,
  origin = station("2", "선릉"),
}

local line2 = subway_line { name = "2",
  stations = { "역삼", "선릉", "삼성", "종합운동장", "잠실새내", "잠실", "잠실나루", "강변",
               "구의", "건대입구", "성수", "뚝섬", "한양대", "왕십리", "상왕십리", "신당",
               "동대문역사문화공원", "을지로4가", "을지로3가", "을지로입구", "시청" } }

local yeoksam = station("2", "역삼")
local cityhall = station("2", "시청")

local v = victim {
  name = "victim", start = place(yeoksam.lat + 0.002, yeoksam.lon),
  phone = { interval = "60s", moving_interval = "30s" },
  route = { walk { to = yeoksam, depart = "08:05" },
            subway { line = line2, from = "역삼", to = "시청", depart = "08:12", speed = 9 },
            walk { to = place(cityhall.lat + 0.002, cityhall.lon) } },
}

local o = offender {
  name = "offender", start = place(yeoksam.lat - 0.002, yeoksam.lon),
  tag = { interval = "60s", moving_interval = "30s" },
  route = { walk { to = yeoksam, depart = "08:05" },
            subway { line = line2, from = "역삼", to = "시청", depart = "08:12", speed = 9 },
            walk { to = place(cityhall.lat, cityhall.lon + 0.003) } },
}

patrol { name = "Jung 1", base = place(37.5640, 126.9900) }
case { offender = o, victim = v }
dispatchers { count = 2, handling = "exp 3m" }

-- They start 445 m apart and end 345 m apart, with the same train in
-- between: one breach from the first second to the last.  It is caught as
-- soon as both have reported (60 s at rest), and every episode is true.
expect {
  true_breaches = 1,
  detected = 1,
  breach_to_alert_max = "90s",
  false_alerts = 0,
  exposure = 0,                     -- the breach holds whenever she can see him
  signal_lost = {min = 2},          -- both lose GNSS for most of an hour
  unauthorized_disclosures = 0,
}
