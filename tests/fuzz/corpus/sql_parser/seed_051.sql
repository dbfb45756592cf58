-- cleanup
DROP TABLE strings;