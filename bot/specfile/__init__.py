"""Files people write by hand (the programme, the survey): YAML read with the line of every value,
checked against a JSON schema, each mistake reported as a `Problem` with its line."""
