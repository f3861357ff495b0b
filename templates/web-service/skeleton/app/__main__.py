import os

import uvicorn

from .logs import LOG_CONFIG

if __name__ == "__main__":
    uvicorn.run("app.main:app", host="0.0.0.0", port=int(os.environ.get("PORT", "8080")), log_config=LOG_CONFIG, access_log=False)
