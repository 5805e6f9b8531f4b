"""Home dashboards per role: each answers its role's daily question with figures and charts computed by
aggregate queries (GROUP BY / SUM), so the number of statements does not grow with the data."""
