CREATE TABLE "specify_invereted_index_cols" (
  "ts" TIMESTAMP(3) NOT NULL,
  "val" DOUBLE NULL,
  "host" STRING NULL,
  "job" STRING NULL INVERTED INDEX,
  TIME INDEX ("ts"),
  PRIMARY KEY ("host", "job"),
);