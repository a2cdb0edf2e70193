SELECT 1; /* unterminated
