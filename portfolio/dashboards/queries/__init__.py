"""The dashboards' aggregate reads (GROUP BY / SUM, lists LIMITed): ``oxi`` for Obras por Impuestos,
``trust`` for the fideicomiso. The home pages and the public portal read through them."""
