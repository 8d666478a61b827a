-- Hourly revenue: purchases and price x quantity summed per UTC event hour.
-- Summed in whole cents so every engine, and the JS ground truth, gets the same exact number.
SELECT
  event_date,
  event_hour,
  COUNT(*) AS purchases,
  SUM(CAST(ROUND(revenue * 100) AS BIGINT)) AS revenue_cents
FROM {{table}}
WHERE event_type = 'purchase'
  AND revenue IS NOT NULL
GROUP BY event_date, event_hour
ORDER BY event_date, event_hour
