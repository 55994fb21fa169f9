"""A telecom-churn-like table (5,000 customers), for measuring `--model auto` where sharp
thresholds and interactions matter: columns as the well-known 5,000-customer telecom churn
table has them (state, account length, plans, day / evening / night / international minutes,
calls and charges, customer service calls), and churn driven as it is there: heavy daytime
use without a voice-mail plan (a high total charge), four or more service calls from light
users, and international-plan customers who use a lot of international minutes or make few
calls; a little label noise. Deterministic per seed. No network: numpy and pandas only.

    scripts/.venv/bin/python scripts/telecom-churn-like.py --out telecom.csv [--rows 5000] [--seed 11]
"""
import argparse
import numpy as np
import pandas as pd

ap = argparse.ArgumentParser()
ap.add_argument("--out", required=True)
ap.add_argument("--rows", type=int, default=5000)
ap.add_argument("--seed", type=int, default=11)
a = ap.parse_args()
rng = np.random.default_rng(a.seed)
n = a.rows
states = ["AK", "AL", "AR", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "HI", "IA", "ID", "IL", "IN", "KS", "KY", "LA", "MA",
          "MD", "ME", "MI", "MN", "MO", "MS", "MT", "NC", "ND", "NE", "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA", "RI",
          "SC", "SD", "TN", "TX", "UT", "VA", "VT", "WA", "WI", "WV", "WY"]
state = rng.choice(states, n)
account = rng.normal(100, 40, n).clip(1, 243).round().astype(int)
area = rng.choice([408, 415, 510], n, p=[0.25, 0.5, 0.25])
intl_plan = np.where(rng.random(n) < 0.095, "yes", "no")
vm_plan = np.where(rng.random(n) < 0.27, "yes", "no")
vm_messages = np.where(vm_plan == "yes", rng.normal(29, 8, n).clip(4, 52).round(), 0).astype(int)
day_min = rng.normal(180, 54, n).clip(0, 351).round(1)
day_calls = rng.normal(100, 20, n).clip(0, 165).round().astype(int)
eve_min = rng.normal(200, 50, n).clip(0, 364).round(1)
eve_calls = rng.normal(100, 20, n).clip(0, 170).round().astype(int)
night_min = rng.normal(200, 50, n).clip(0, 395).round(1)
night_calls = rng.normal(100, 20, n).clip(0, 175).round().astype(int)
intl_min = rng.normal(10.2, 2.8, n).clip(0, 20).round(1)
intl_calls = rng.poisson(4.4, n)
service_calls = rng.poisson(1.55, n)
day_charge, eve_charge = (day_min * 0.17).round(2), (eve_min * 0.085).round(2)
night_charge, intl_charge = (night_min * 0.045).round(2), (intl_min * 0.27).round(2)
total = day_charge + eve_charge + night_charge + intl_charge
z = 1.3 * (-3.2
     + 4.2 * ((total > 74) & (vm_plan == "no")) + 1.2 * ((total > 70) & (total <= 74) & (vm_plan == "no"))
     + 2.2 * ((day_min > 265) & (vm_plan == "yes") & (eve_min > 220))
     + 4.0 * ((service_calls >= 4) & (day_min < 170)) + 1.6 * ((service_calls >= 4) & (day_min >= 170) & (eve_min < 160))
     + 4.5 * ((intl_plan == "yes") & ((intl_min > 13) | (intl_calls < 3))) - 0.3 * (intl_plan == "yes")
     + 0.004 * (account - 100))
churn = np.where(rng.random(n) < 1 / (1 + np.exp(-z)), "True", "False")
df = pd.DataFrame({"customer_id": [f"T{i:05d}" for i in range(1, n + 1)], "state": state, "account_length": account,
                   "area_code": area, "international_plan": intl_plan, "voice_mail_plan": vm_plan,
                   "number_vmail_messages": vm_messages, "total_day_minutes": day_min, "total_day_calls": day_calls,
                   "total_day_charge": day_charge, "total_eve_minutes": eve_min, "total_eve_calls": eve_calls,
                   "total_eve_charge": eve_charge, "total_night_minutes": night_min, "total_night_calls": night_calls,
                   "total_night_charge": night_charge, "total_intl_minutes": intl_min, "total_intl_calls": intl_calls,
                   "total_intl_charge": intl_charge, "number_customer_service_calls": service_calls, "churn": churn})
df.to_csv(a.out, index=False)
print(f"{a.out}: {n} rows, churn rate {(churn == 'True').mean():.3f}")
