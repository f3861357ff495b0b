import os

import uvicorn

from . import telemetry
from .logs import LOG_CONFIG

if __name__ == "__main__":
    # Before the app serves: its spans go to the platform's collector (app/telemetry.py).
    telemetry.configure()
    uvicorn.run("app.main:app", host="0.0.0.0", port=int(os.environ.get("PORT", "8080")), log_config=LOG_CONFIG, access_log=False)
