-- Top viewed products: the ten products with the most page views (ties by product id).
SELECT
  product_id,
  COUNT(*) AS page_views
FROM {{table}}
WHERE event_type = 'page_view'
  AND product_id IS NOT NULL
GROUP BY product_id
ORDER BY page_views DESC, product_id
LIMIT 10
