-- ORDER BY for partition table
CREATE TABLE IF NOT EXISTS `t` (
  `tag` STRING NULL,
  `ts` TIMESTAMP(3) NOT NULL,
  `num` BIGINT NULL,
  TIME INDEX (`ts`),
  PRIMARY KEY (`tag`)
)
PARTITION ON COLUMNS (`tag`) (
  tag <= 'z',
  tag > 'z'
);