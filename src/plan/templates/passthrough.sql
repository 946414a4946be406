{{ statement | sql }};
