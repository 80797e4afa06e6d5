"""What the sparkgan Airflow DAG submits: application arguments, Spark settings and operator arguments
for the prepare, train and fid tasks, built from a small Settings object.

Plain Python (3.9+, standard library only), so it is tested without Airflow
(``python3 -m unittest discover -s deploy/airflow``) and can be read on its own. The Spark settings
are the ones ``deploy/{yarn,kubernetes,standalone}/submit.sh`` pass (the tests hold the two to the
same command), so a run submitted by hand and one submitted by Airflow train alike.

The run id is the logical date (``{{ ds_nodash }}``, rendered by Airflow in ``application_args`` and
``name``). The train task never passes ``--fresh``: a retried train task resumes the run from its
newest committed checkpoint, and rerunning a finished run is a no-op.

    python3 deploy/airflow/sparkgan_commands.py train 20261121   # the spark-submit line, from SPARKGAN_* variables
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import Dict, List, Mapping, Optional

MAIN_CLASS = "io.sparkgan.cli.Main"
RUN_ID_FROM_LOGICAL_DATE = "{{ ds_nodash }}"
STAGES = ("prepare", "train", "fid")
CLUSTERS = ("yarn", "kubernetes", "standalone")

_DEPLOY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # deploy/, when run from the repository

DEFAULT_MASTER = {
    "yarn": "yarn",
    "kubernetes": "k8s://https://kubernetes.default.svc:443",
    "standalone": "spark://localhost:7077",
}
DEFAULT_DEPLOY_MODE = {"yarn": "cluster", "kubernetes": "cluster", "standalone": "client"}

# Spark's own Java 17 flags (JavaModuleOptions; the same set as pom.xml and bin/sparkgan). Spark adds
# them to executors and to every driver except one a standalone worker launches in cluster mode.
JAVA17_FLAGS = (
    "--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED "
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED "
    "--add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED "
    "--add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED "
    "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED "
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED "
    "--add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED "
    "--add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false"
)


@dataclass(frozen=True)
class Settings:
    """Where sparkgan is and how to run it. Sizes in GiB; every field has a SPARKGAN_* variable."""

    jar: str  # the -cuda jar: a path on the Airflow worker, an hdfs:// URI, or local:// in a k8s image
    config: str  # --config: local path (shipped with --files on YARN cluster mode) or hdfs:// / s3a:// URI
    output_dir: str  # output.dir of that config; the run directory is <output_dir>/<run id>
    cluster: str = "yarn"  # yarn | kubernetes | standalone
    master: str = ""  # "" = the cluster's usual master (DEFAULT_MASTER); local[N] gets no GPU settings
    deploy_mode: str = ""  # "" = cluster (yarn, kubernetes) or client (standalone)
    conn_id: str = "spark_default"  # the Airflow connection: its host is the master
    executors: int = 8  # GPU executors = train.workers
    executor_cores: int = 4
    executor_memory_gb: int = 8
    executor_offheap_gb: int = 16
    driver_memory_gb: int = 8
    driver_offheap_gb: int = 8
    driver_gpus: int = 1  # cluster mode: the driver runs ND4J too, and the -cuda jar has only CUDA
    gpus_per_executor: int = 1  # 0: CPU executors (the -spark jar), no GPU resources asked for
    max_failures: int = 8
    gpu_discovery_script: str = ""  # "" = deploy/getGpusResources.sh (yarn), /opt/sparkgan/... (kubernetes)
    yarn_queue: str = ""
    k8s_image: str = "sparkgan-cuda:latest"
    k8s_namespace: str = "default"
    k8s_service_account: str = "spark"
    k8s_pod_template: str = ""  # "" = deploy/kubernetes/gpu-pod-template.yaml
    train_retries: int = 3
    train_retry_delay_minutes: int = 10
    run_id: str = RUN_ID_FROM_LOGICAL_DATE
    extra_conf: Mapping[str, str] = field(default_factory=dict)  # wins over the settings above

    def __post_init__(self) -> None:
        if self.cluster not in CLUSTERS:
            raise ValueError(f"cluster {self.cluster!r}: expected one of {', '.join(CLUSTERS)}")
        if self.deploy_mode not in ("", "client", "cluster"):
            raise ValueError(f"deploy_mode {self.deploy_mode!r}: expected client or cluster")
        for name in ("jar", "config", "output_dir"):
            if not getattr(self, name):
                raise ValueError(f"{name} is required (SPARKGAN_{name.upper()})")
        for name in ("executors", "executor_cores", "executor_memory_gb", "driver_memory_gb", "max_failures"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("executor_offheap_gb", "driver_offheap_gb", "driver_gpus", "train_retries",
                     "train_retry_delay_minutes"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        if self.gpus_per_executor not in (0, 1):
            raise ValueError(f"gpus_per_executor must be 1 (one training task per GPU) or 0 (CPU executors),"
                             f" got {self.gpus_per_executor}")

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "Settings":
        """Settings from SPARKGAN_<FIELD> variables (SPARKGAN_JAR, SPARKGAN_EXECUTORS, ...), as the
        deploy scripts read them; SPARKGAN_EXECUTOR_MEMORY_GB etc. are whole GiB."""
        env = os.environ if env is None else env
        values: Dict[str, object] = {}
        for f in fields(cls):
            if f.name == "extra_conf":
                continue
            key = "SPARKGAN_" + f.name.upper()
            if key in env and env[key] != "":
                values[f.name] = int(env[key]) if f.type in ("int", int) else env[key]
        for required in ("jar", "config", "output_dir"):
            values.setdefault(required, "")  # __post_init__ names the missing variable
        return cls(**values)  # type: ignore[arg-type]

    def resolved_master(self) -> str:
        return self.master or DEFAULT_MASTER[self.cluster]

    def resolved_deploy_mode(self) -> str:
        return self.deploy_mode or DEFAULT_DEPLOY_MODE[self.cluster]

    def uses_gpu_settings(self) -> bool:
        """Spark does not schedule GPUs in local[N] (resource settings there hang the job), and CPU
        executors ask for none."""
        return not self.resolved_master().startswith("local") and self.gpus_per_executor == 1

    def discovery_script(self) -> str:
        if self.gpu_discovery_script:
            return self.gpu_discovery_script
        if self.cluster == "kubernetes":
            return "/opt/sparkgan/getGpusResources.sh"
        return os.path.join(_DEPLOY, "getGpusResources.sh")

    def pod_template(self) -> str:
        return self.k8s_pod_template or os.path.join(_DEPLOY, "kubernetes", "gpu-pod-template.yaml")


def _is_uri(path: str) -> bool:
    return "://" in path


def files(s: Settings) -> List[str]:
    """What --files ships. YARN: the discovery script, and in cluster mode a local config (the driver
    then reads it by its base name in the container's working directory)."""
    if s.cluster != "yarn":
        return []
    shipped = [s.discovery_script()]
    if not _is_uri(s.config) and s.resolved_deploy_mode() == "cluster":
        shipped.append(s.config)
    return shipped


def config_arg(s: Settings) -> str:
    """The --config value the driver sees."""
    if s.cluster == "yarn" and not _is_uri(s.config) and s.resolved_deploy_mode() == "cluster":
        return os.path.basename(s.config)
    return s.config


def spark_conf(s: Settings) -> Dict[str, str]:
    """Spark settings: one training task per GPU executor, memory for ND4J's off-heap arrays, retries."""
    mode = s.resolved_deploy_mode()
    executor_javacpp = (f"-Dorg.bytedeco.javacpp.maxbytes={s.executor_offheap_gb}g "
                        f"-Dorg.bytedeco.javacpp.maxphysicalbytes="
                        f"{s.executor_memory_gb + s.executor_offheap_gb + 2}g")
    driver_javacpp = (f"-Dorg.bytedeco.javacpp.maxbytes={s.driver_offheap_gb}g "
                      f"-Dorg.bytedeco.javacpp.maxphysicalbytes={s.driver_memory_gb + s.driver_offheap_gb + 2}g")
    conf: Dict[str, str] = {}
    if s.cluster == "kubernetes":
        conf.update({
            "spark.kubernetes.container.image": s.k8s_image,
            "spark.kubernetes.namespace": s.k8s_namespace,
            "spark.kubernetes.authenticate.driver.serviceAccountName": s.k8s_service_account,
            "spark.kubernetes.driver.podTemplateFile": s.pod_template(),
            "spark.kubernetes.executor.podTemplateFile": s.pod_template(),
        })
    if s.cluster == "standalone":
        conf["spark.cores.max"] = str(s.executors * s.executor_cores)
    else:
        conf["spark.executor.instances"] = str(s.executors)
    conf.update({
        "spark.dynamicAllocation.enabled": "false",
        "spark.executor.cores": str(s.executor_cores),
        "spark.task.cpus": str(s.executor_cores),
        "spark.executor.memory": f"{s.executor_memory_gb}g",
    })
    if s.cluster != "standalone":  # standalone has no overhead setting
        conf["spark.executor.memoryOverhead"] = f"{s.executor_offheap_gb + 4}g"
    conf["spark.executor.extraJavaOptions"] = executor_javacpp
    conf["spark.driver.memory"] = f"{s.driver_memory_gb}g"
    if s.cluster != "standalone":
        conf["spark.driver.memoryOverhead"] = f"{s.driver_offheap_gb + 4}g"
    if s.cluster == "standalone" and mode == "cluster":
        conf["spark.driver.extraJavaOptions"] = f"{JAVA17_FLAGS} {driver_javacpp}"
    else:
        conf["spark.driver.extraJavaOptions"] = driver_javacpp
    conf["spark.task.maxFailures"] = str(s.max_failures)
    if s.cluster == "yarn":
        conf["spark.yarn.maxAppAttempts"] = "2"
    if s.uses_gpu_settings():
        conf["spark.executor.resource.gpu.amount"] = "1"
        conf["spark.task.resource.gpu.amount"] = "1"
        discovery = s.discovery_script()
        if s.cluster == "yarn":
            discovery = "./" + os.path.basename(discovery)
        if s.cluster == "kubernetes":
            conf["spark.executor.resource.gpu.vendor"] = "nvidia.com"
        if s.cluster != "standalone":  # standalone workers discover their own GPUs
            conf["spark.executor.resource.gpu.discoveryScript"] = discovery
        if mode == "cluster" and s.driver_gpus > 0:
            conf["spark.driver.resource.gpu.amount"] = str(s.driver_gpus)
            if s.cluster == "kubernetes":
                conf["spark.driver.resource.gpu.vendor"] = "nvidia.com"
            if s.cluster != "standalone":
                conf["spark.driver.resource.gpu.discoveryScript"] = discovery
    conf.update(s.extra_conf)
    return conf


def run_directory(s: Settings, run_id: Optional[str] = None) -> str:
    return s.output_dir.rstrip("/") + "/" + (run_id or s.run_id)


def application_args(s: Settings, stage: str, run_id: Optional[str] = None) -> List[str]:
    """sparkgan's arguments for one stage. train: no --fresh (a retry resumes, a finished run is a
    no-op) and no FID stage of its own (the fid task scores every checkpoint)."""
    run_id = run_id or s.run_id
    if stage == "prepare":
        return ["prepare", "--config", config_arg(s)]
    if stage == "train":
        return ["train", "--config", config_arg(s), "--set", f"run.id={run_id}", "--set", "fid.enabled=false"]
    if stage == "fid":
        return ["fid", "--run", run_directory(s, run_id), "--config", config_arg(s), "--checkpoints", "all"]
    raise ValueError(f"stage {stage!r}: expected one of {', '.join(STAGES)}")


def app_name(stage: str, run_id: str) -> str:
    return f"sparkgan-{stage}-{run_id}"


def operator_kwargs(s: Settings, stage: str) -> Dict[str, object]:
    """Keyword arguments for airflow's SparkSubmitOperator for one task (task_id = the stage)."""
    kwargs: Dict[str, object] = {
        "task_id": stage,
        "conn_id": s.conn_id,
        "application": s.jar,
        "java_class": MAIN_CLASS,
        "name": app_name(stage, s.run_id),
        "conf": spark_conf(s),
        "application_args": application_args(s, stage),
        "deploy_mode": s.resolved_deploy_mode(),
        "verbose": False,
    }
    shipped = files(s)
    if shipped:
        kwargs["files"] = ",".join(shipped)
    if s.yarn_queue:
        kwargs["yarn_queue"] = s.yarn_queue
    if stage == "train":
        # A retry resumes from the newest committed checkpoint: lost executors, a lost driver, a
        # pre-empted node cost at most checkpoint-every steps.
        kwargs["retries"] = s.train_retries
        kwargs["retry_delay"] = timedelta(minutes=s.train_retry_delay_minutes)
    else:
        kwargs["retries"] = 1
        kwargs["retry_delay"] = timedelta(minutes=2)
    return kwargs


def spark_submit_argv(s: Settings, stage: str, run_id: Optional[str] = None,
                      spark_submit: str = "spark-submit") -> List[str]:
    """The spark-submit command line for one stage, as the deploy scripts print it with --dry-run
    (SparkSubmitOperator builds the same from operator_kwargs and the connection's master)."""
    run_id = run_id or s.run_id
    argv = [spark_submit, "--master", s.resolved_master(), "--deploy-mode", s.resolved_deploy_mode(),
            "--name", app_name(stage, run_id), "--class", MAIN_CLASS]
    if s.yarn_queue:
        argv += ["--queue", s.yarn_queue]
    shipped = files(s)
    if shipped:
        argv += ["--files", ",".join(shipped)]
    for key, value in spark_conf(s).items():
        argv += ["--conf", f"{key}={value}"]
    return argv + [s.jar] + application_args(s, stage, run_id)


def main(argv: List[str]) -> int:
    if len(argv) != 2 or argv[0] not in STAGES:
        print(f"usage: {os.path.basename(sys.argv[0])} {{{'|'.join(STAGES)}}} RUN_ID   (settings from SPARKGAN_*)",
              file=sys.stderr)
        return 2
    try:
        settings = Settings.from_env()
    except ValueError as e:
        print(f"sparkgan_commands: {e}", file=sys.stderr)
        return 2
    print(" ".join(shlex.quote(a) for a in spark_submit_argv(settings, argv[0], argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
