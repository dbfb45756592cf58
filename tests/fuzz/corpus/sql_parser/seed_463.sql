/* block /* nested */ */ SELECT 1 -- trailing
; # mysql comment
SELECT 2;