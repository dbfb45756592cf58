-- Cleanup
DROP TABLE repartition_test_table;