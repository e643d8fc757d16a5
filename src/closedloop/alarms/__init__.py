"""Alarms (DESIGN §3 item 4): detectors that notice, within the hour, what seed 000's team noticed
after two weeks — and the pages and API where people see and acknowledge them."""
