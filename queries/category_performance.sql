-- Category performance: events per UTC day, category (trimmed, lower-cased) and event type.
SELECT
  event_date,
  category,
  event_type,
  COUNT(*) AS events
FROM {{table}}
WHERE category IS NOT NULL
GROUP BY event_date, category, event_type
ORDER BY event_date, category, event_type
