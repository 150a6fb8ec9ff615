"""Figures published in the Dyfed Powys PDU report (methodology.md section 4): the one copy the tests compare with."""

REPORT_PERCENTAGES = {
    "P2.1.1": 82,
    "P2.1.2": 80,
    "P2.1.3": 38,
    "P2.2.1": 78,
    "P2.2.2": 91,
    "P2.2.3": 47,
    "P2.3.1": 84,
    "P2.3.2": 47,
    "P2.3.3": 36,
    "P2.4.1": 79,
    "P2.4.2": 61,
    "P2.4.3": 43,
}
REPORT_RATINGS = {
    "P1.1": "Good",
    "P1.2": "Requires improvement",
    "P1.3": "Requires improvement",
    "P2.1": "Inadequate",
    "P2.2": "Inadequate",
    "P2.3": "Inadequate",
    "P2.4": "Inadequate",
}
