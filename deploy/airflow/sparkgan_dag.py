"""sparkgan on Airflow: prepare → train → fid, one run per logical date.

Copy this file and sparkgan_commands.py into the DAGs folder. Needs the Apache Spark provider
(apache-airflow-providers-apache-spark) and a Spark connection (SPARKGAN_CONN_ID, default
spark_default) whose host is the master (yarn, k8s://https://..., spark://...) and from whose
machine spark-submit can reach the cluster. Settings come from SPARKGAN_* environment variables of
the scheduler and workers (sparkgan_commands.Settings.from_env): at least SPARKGAN_JAR,
SPARKGAN_CONFIG and SPARKGAN_OUTPUT_DIR.

- The run id is the logical date ({{ ds_nodash }}): each scheduled run trains its own run directory.
- train never passes --fresh: a retried train task resumes from the newest committed checkpoint,
  and clearing a finished train task is a no-op (the run directory is complete).
- One run at a time (max_active_runs=1): they share the cluster's GPUs. No catch-up of missed dates.
"""

from __future__ import annotations

import inspect
import os
from datetime import datetime, timedelta, timezone

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

try:  # Airflow 3
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG

import sparkgan_commands as commands

settings = commands.Settings.from_env()

# deploy_mode and yarn_queue are arguments of newer Spark providers only; older ones read them from
# the connection's extra ({"deploy-mode": "cluster", "queue": "..."}).
_accepted = inspect.signature(SparkSubmitOperator.__init__).parameters


def _operator(stage: str) -> SparkSubmitOperator:
    kwargs = commands.operator_kwargs(settings, stage)
    for optional in ("deploy_mode", "yarn_queue"):
        if optional not in _accepted:
            kwargs.pop(optional, None)
    return SparkSubmitOperator(**kwargs)


with DAG(
    dag_id=os.environ.get("SPARKGAN_DAG_ID", "sparkgan"),
    description="Train a GAN on Spark GPUs: prepare, train (resumable), FID of every checkpoint",
    schedule=os.environ.get("SPARKGAN_SCHEDULE", "@weekly"),
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "sparkgan", "retries": 1, "retry_delay": timedelta(minutes=2)},
    tags=["sparkgan", "spark", "gpu"],
) as dag:
    prepare = _operator("prepare")
    train = _operator("train")
    fid = _operator("fid")
    prepare >> train >> fid
