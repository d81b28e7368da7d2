"""What every API (dialect) of the server shares: the endpoint pipeline
(`pipeline`), errors, parameter and JSON parsing, limits, authentication
helpers, metering and middleware. Knows no API's routes."""
