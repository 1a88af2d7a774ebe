term
term
