-- do not support DELETE FROM physical table for now
delete from phy;