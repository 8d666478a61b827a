-- Conversion funnel: per product, page views, add-to-carts and purchases (events, not units).
SELECT
  product_id,
  SUM(CASE WHEN event_type = 'page_view' THEN 1 ELSE 0 END) AS page_views,
  SUM(CASE WHEN event_type = 'add_to_cart' THEN 1 ELSE 0 END) AS add_to_carts,
  SUM(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END) AS purchases
FROM {{table}}
WHERE product_id IS NOT NULL
  AND event_type IN ('page_view', 'add_to_cart', 'purchase')
GROUP BY product_id
ORDER BY product_id
