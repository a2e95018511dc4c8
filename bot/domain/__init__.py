"""Pure domain: rules, calendars and deadlines as plain data and functions, no I/O."""
