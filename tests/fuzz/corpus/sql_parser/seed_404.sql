-- schemata --

desc table schemata;