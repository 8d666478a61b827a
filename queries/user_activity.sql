-- User activity: distinct users and distinct sessions per UTC day.
SELECT
  event_date,
  COUNT(DISTINCT user_id) AS users,
  COUNT(DISTINCT session_id) AS sessions
FROM {{table}}
GROUP BY event_date
ORDER BY event_date
