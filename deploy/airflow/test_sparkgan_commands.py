"""Tests of the Airflow command module, the DAG file (run against a fake airflow package), the
deploy scripts' --dry-run commands and the GPU discovery script. Standard library only:

    python3 -m unittest discover -s deploy/airflow -v
"""

from __future__ import annotations

import dataclasses
import json
import os
import py_compile
import re
import shlex
import subprocess
import sys
import tempfile
import textwrap
import unittest
from datetime import timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import sparkgan_commands as commands  # noqa: E402

DAG_FILE = os.path.join(HERE, "sparkgan_dag.py")
SCRIPTS = {
    "yarn": os.path.join(REPO, "deploy", "yarn", "submit.sh"),
    "kubernetes": os.path.join(REPO, "deploy", "kubernetes", "submit.sh"),
    "standalone": os.path.join(REPO, "deploy", "standalone", "submit.sh"),
}
DISCOVERY = os.path.join(REPO, "deploy", "getGpusResources.sh")


def settings(**overrides) -> commands.Settings:
    values = dict(jar="hdfs:///apps/sparkgan-0.1.0-cuda.jar", config=os.path.join(REPO, "conf", "cluster-gpu.conf"),
                  output_dir="hdfs:///sparkgan/runs")
    values.update(overrides)
    return commands.Settings(**values)


def pom_java17_flags() -> set:
    with open(os.path.join(REPO, "pom.xml"), encoding="utf-8") as f:
        pom = f.read()
    return set(re.findall(r"--add-opens=[\w./]+=ALL-UNNAMED|-Djdk\.reflect\.useDirectMethodHandle=false", pom))


def javacpp_gb(options: str, name: str) -> int:
    return int(re.search(rf"-Dorg\.bytedeco\.javacpp\.{name}=(\d+)g", options).group(1))


class ApplicationArgsTest(unittest.TestCase):
    def test_train_resumes_rather_than_restarts(self):
        args = commands.application_args(settings(), "train")
        self.assertEqual("train", args[0])
        self.assertNotIn("--fresh", args)
        self.assertIn("run.id={{ ds_nodash }}", args)
        self.assertEqual("--set", args[args.index("run.id={{ ds_nodash }}") - 1])
        self.assertIn("fid.enabled=false", args, "the fid task scores the checkpoints, not train")

    def test_fid_scores_every_checkpoint_of_the_run_directory(self):
        args = commands.application_args(settings(output_dir="hdfs:///sparkgan/runs/"), "fid", "20261121")
        self.assertEqual(["fid", "--run", "hdfs:///sparkgan/runs/20261121"], args[:3])
        self.assertEqual(["--checkpoints", "all"], args[-2:])

    def test_prepare_reads_the_config(self):
        self.assertEqual(["prepare", "--config", "cluster-gpu.conf"], commands.application_args(settings(), "prepare"))

    def test_config_is_shipped_only_where_the_driver_cannot_read_it(self):
        local = os.path.join(REPO, "conf", "cluster-gpu.conf")
        self.assertEqual([settings().discovery_script(), local],
                         commands.files(settings()))
        self.assertEqual("cluster-gpu.conf", commands.config_arg(settings()))
        client = settings(deploy_mode="client")
        self.assertEqual(local, commands.config_arg(client))
        self.assertEqual([client.discovery_script()], commands.files(client))
        uri = settings(config="hdfs:///sparkgan/conf/cluster-gpu.conf")
        self.assertEqual("hdfs:///sparkgan/conf/cluster-gpu.conf", commands.config_arg(uri))
        self.assertNotIn(uri.config, commands.files(uri))
        self.assertEqual([], commands.files(settings(cluster="kubernetes", config="/opt/sparkgan/conf/c.conf")))

    def test_unknown_stage_is_refused(self):
        with self.assertRaises(ValueError):
            commands.application_args(settings(), "sample")


class SparkConfTest(unittest.TestCase):
    def test_one_training_task_per_gpu_executor(self):
        for cluster in commands.CLUSTERS:
            with self.subTest(cluster=cluster):
                conf = commands.spark_conf(settings(cluster=cluster, executor_cores=6))
                self.assertEqual("1", conf["spark.executor.resource.gpu.amount"])
                self.assertEqual("1", conf["spark.task.resource.gpu.amount"])
                self.assertEqual("6", conf["spark.executor.cores"])
                self.assertEqual(conf["spark.executor.cores"], conf["spark.task.cpus"])
                self.assertEqual("8", conf["spark.task.maxFailures"])
                self.assertEqual("false", conf["spark.dynamicAllocation.enabled"])

    def test_containers_hold_heap_and_nd4j_off_heap(self):
        s = settings(executor_memory_gb=10, executor_offheap_gb=20)
        conf = commands.spark_conf(s)
        options = conf["spark.executor.extraJavaOptions"]
        self.assertEqual(20, javacpp_gb(options, "maxbytes"))
        physical = javacpp_gb(options, "maxphysicalbytes")
        self.assertGreater(physical, 10 + 20, "JavaCPP's process cap leaves room for the heap and the arrays")
        container = 10 + int(conf["spark.executor.memoryOverhead"].rstrip("g"))
        self.assertGreater(container, physical, "JavaCPP stops ND4J before YARN/Kubernetes kill the container")

    def test_local_master_gets_no_resource_settings(self):
        for cluster in commands.CLUSTERS:
            with self.subTest(cluster=cluster):
                conf = commands.spark_conf(settings(cluster=cluster, master="local[4]"))
                self.assertEqual([], [k for k in conf if ".resource." in k])
                self.assertEqual("8", conf["spark.task.maxFailures"])

    def test_cpu_executors_ask_for_no_gpus(self):
        for cluster in commands.CLUSTERS:
            with self.subTest(cluster=cluster):
                conf = commands.spark_conf(settings(cluster=cluster, gpus_per_executor=0, deploy_mode="cluster"))
                self.assertEqual([], [k for k in conf if ".resource." in k])
                self.assertEqual(conf["spark.executor.cores"], conf["spark.task.cpus"])
        with self.assertRaises(ValueError) as e:
            settings(gpus_per_executor=2)
        self.assertIn("gpus_per_executor must be 1", str(e.exception))

    def test_yarn_discovers_gpus_with_the_shipped_script(self):
        conf = commands.spark_conf(settings())
        self.assertEqual("./getGpusResources.sh", conf["spark.executor.resource.gpu.discoveryScript"])
        self.assertEqual("1", conf["spark.driver.resource.gpu.amount"], "cluster-mode driver runs ND4J on CUDA")
        self.assertIn(os.path.join(REPO, "deploy", "getGpusResources.sh"), commands.files(settings()))
        self.assertTrue(os.access(settings().discovery_script(), os.X_OK))

    def test_kubernetes_asks_for_nvidia_gpus_in_its_image(self):
        conf = commands.spark_conf(settings(cluster="kubernetes", k8s_image="registry/sparkgan-cuda:1"))
        self.assertEqual("nvidia.com", conf["spark.executor.resource.gpu.vendor"])
        self.assertEqual("nvidia.com", conf["spark.driver.resource.gpu.vendor"])
        self.assertEqual("registry/sparkgan-cuda:1", conf["spark.kubernetes.container.image"])
        self.assertTrue(os.path.isfile(conf["spark.kubernetes.executor.podTemplateFile"]))
        self.assertEqual("/opt/sparkgan/getGpusResources.sh", conf["spark.executor.resource.gpu.discoveryScript"])

    def test_standalone_workers_discover_gpus_and_cluster_drivers_get_java17_flags(self):
        client = commands.spark_conf(settings(cluster="standalone"))
        self.assertNotIn("spark.executor.resource.gpu.discoveryScript", client)
        self.assertNotIn("spark.driver.resource.gpu.amount", client, "a client-mode driver is not scheduled")
        self.assertEqual("32", client["spark.cores.max"], "8 executors x 4 cores")
        cluster = commands.spark_conf(settings(cluster="standalone", deploy_mode="cluster"))
        flags = set(cluster["spark.driver.extraJavaOptions"].split()) - {
            f for f in cluster["spark.driver.extraJavaOptions"].split() if "javacpp" in f}
        self.assertEqual(pom_java17_flags(), flags)
        self.assertEqual(16, len(flags))

    def test_extra_conf_wins(self):
        conf = commands.spark_conf(settings(extra_conf={"spark.task.maxFailures": "20", "spark.yarn.tags": "gan"}))
        self.assertEqual("20", conf["spark.task.maxFailures"])
        self.assertEqual("gan", conf["spark.yarn.tags"])


class SettingsTest(unittest.TestCase):
    def test_from_env_reads_the_deploy_scripts_variables(self):
        s = commands.Settings.from_env({
            "SPARKGAN_JAR": "j.jar", "SPARKGAN_CONFIG": "c.conf", "SPARKGAN_OUTPUT_DIR": "s3a://b/runs",
            "SPARKGAN_CLUSTER": "kubernetes", "SPARKGAN_EXECUTORS": "16", "SPARKGAN_EXECUTOR_OFFHEAP_GB": "30",
            "SPARKGAN_K8S_IMAGE": "img:2", "SPARKGAN_MASTER": "", "UNRELATED": "x"})
        self.assertEqual(("j.jar", "c.conf", "s3a://b/runs", "kubernetes", 16, 30, "img:2"),
                         (s.jar, s.config, s.output_dir, s.cluster, s.executors, s.executor_offheap_gb, s.k8s_image))
        self.assertEqual("k8s://https://kubernetes.default.svc:443", s.resolved_master())

    def test_bad_settings_say_what_is_wrong(self):
        with self.assertRaisesRegex(ValueError, "SPARKGAN_JAR"):
            commands.Settings.from_env({"SPARKGAN_CONFIG": "c", "SPARKGAN_OUTPUT_DIR": "o"})
        with self.assertRaisesRegex(ValueError, "cluster 'mesos'"):
            settings(cluster="mesos")
        with self.assertRaisesRegex(ValueError, "executors must be at least 1"):
            settings(executors=0)

    def test_operator_kwargs_retry_train_and_template_the_run_id(self):
        train = commands.operator_kwargs(settings(), "train")
        self.assertEqual("train", train["task_id"])
        self.assertGreater(train["retries"], 0)
        self.assertGreaterEqual(train["retry_delay"], timedelta(minutes=1))
        self.assertEqual("sparkgan-train-{{ ds_nodash }}", train["name"])
        self.assertEqual(commands.MAIN_CLASS, train["java_class"])
        self.assertEqual("hdfs:///apps/sparkgan-0.1.0-cuda.jar", train["application"])
        self.assertEqual(",".join(commands.files(settings())), train["files"])


# --- the DAG file, executed against a fake airflow package -----------------------------------------

FAKE_OPERATOR_NEW = '''
class SparkSubmitOperator:
    """Records its arguments; `a >> b` records an edge. Signature of a recent Spark provider."""
    def __init__(self, *, application="", conf=None, conn_id="spark_default", files=None, java_class=None,
                 name="arrow-spark", application_args=None, verbose=False, deploy_mode=None, yarn_queue=None,
                 **kwargs):
        import airflow
        base = {"task_id", "retries", "retry_delay", "dag", "owner"}
        unknown = set(kwargs) - base
        if unknown:
            raise TypeError("Invalid arguments were passed to SparkSubmitOperator: %s" % sorted(unknown))
        self.kwargs = dict(kwargs, application=application, conf=conf, conn_id=conn_id, files=files,
                           java_class=java_class, name=name, application_args=application_args, verbose=verbose,
                           deploy_mode=deploy_mode, yarn_queue=yarn_queue)
        self.task_id = kwargs["task_id"]
        airflow._record_task(self)
    def __rshift__(self, other):
        import airflow
        airflow._EDGES.append((self.task_id, other.task_id))
        return other
'''

FAKE_OPERATOR_OLD = '''
class SparkSubmitOperator:
    """An older Spark provider: no deploy_mode or yarn_queue argument."""
    def __init__(self, *, application="", conf=None, conn_id="spark_default", files=None, java_class=None,
                 name="airflow-spark", application_args=None, verbose=False, **kwargs):
        import airflow
        unknown = set(kwargs) - {"task_id", "retries", "retry_delay", "dag", "owner"}
        if unknown:
            raise TypeError("Invalid arguments were passed to SparkSubmitOperator: %s" % sorted(unknown))
        self.kwargs = dict(kwargs, application=application, conf=conf, conn_id=conn_id, files=files,
                           java_class=java_class, name=name, application_args=application_args, verbose=verbose)
        self.task_id = kwargs["task_id"]
        airflow._record_task(self)
    def __rshift__(self, other):
        import airflow
        airflow._EDGES.append((self.task_id, other.task_id))
        return other
'''

FAKE_DAG = '''
_DAGS = []
_EDGES = []
_CURRENT = []

class DAG:
    """Records its arguments and the tasks created inside `with DAG(...)`."""
    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.tasks = []
        _DAGS.append(self)
    def __enter__(self):
        _CURRENT.append(self)
        return self
    def __exit__(self, *exc):
        _CURRENT.pop()
        return False

def _record_task(task):
    if not _CURRENT:
        raise RuntimeError("task %s created outside a DAG context" % task.task_id)
    _CURRENT[-1].tasks.append(task)
'''

RUN_DAG = '''
import json, runpy, sys
from datetime import datetime, timedelta
sys.path[:0] = [sys.argv[1], sys.argv[2]]
runpy.run_path(sys.argv[3], run_name="sparkgan_dag")
import airflow
def plain(v):
    if isinstance(v, timedelta):
        return {"timedelta_s": v.total_seconds()}
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    return v
dag = airflow._DAGS[0]
print(json.dumps({"dags": len(airflow._DAGS), "dag": plain(dag.kwargs), "edges": airflow._EDGES,
                  "tasks": [{"task_id": t.task_id, "kwargs": plain(t.kwargs)} for t in dag.tasks]}))
'''


def write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(textwrap.dedent(text))


def fake_airflow(root: str, airflow3: bool, old_provider: bool) -> None:
    """airflow/ with DAG (in airflow.sdk for Airflow 3, in airflow for Airflow 2) and the Spark
    provider's operator module."""
    if airflow3:
        write(os.path.join(root, "airflow", "__init__.py"), FAKE_DAG.replace("class DAG:", "class _DAG:"))
        write(os.path.join(root, "airflow", "sdk", "__init__.py"), "from airflow import _DAG as DAG\n")
    else:
        write(os.path.join(root, "airflow", "__init__.py"), FAKE_DAG)
    package = os.path.join(root, "airflow", "providers", "apache", "spark", "operators")
    for d in ("providers", "providers/apache", "providers/apache/spark", "providers/apache/spark/operators"):
        write(os.path.join(root, "airflow", d, "__init__.py"), "")
    write(os.path.join(package, "spark_submit.py"), FAKE_OPERATOR_OLD if old_provider else FAKE_OPERATOR_NEW)


DAG_ENV = {"SPARKGAN_JAR": "hdfs:///apps/sparkgan-0.1.0-cuda.jar", "SPARKGAN_OUTPUT_DIR": "hdfs:///sparkgan/runs",
           "SPARKGAN_CONFIG": os.path.join(REPO, "conf", "cluster-gpu.conf"), "SPARKGAN_EXECUTORS": "4",
           "SPARKGAN_YARN_QUEUE": "gpu"}


def run_dag(airflow3: bool, old_provider: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        fake_airflow(tmp, airflow3, old_provider)
        runner = os.path.join(tmp, "run_dag.py")
        write(runner, RUN_DAG)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPARKGAN_")}
        env.update(DAG_ENV)
        done = subprocess.run([sys.executable, runner, tmp, HERE, DAG_FILE], env=env, capture_output=True,
                              text=True, timeout=60)
        if done.returncode != 0:
            raise AssertionError(f"the DAG file failed against the fake airflow:\n{done.stderr}")
        return json.loads(done.stdout)


class DagTest(unittest.TestCase):
    def test_dag_file_compiles(self):
        with tempfile.TemporaryDirectory() as tmp:
            py_compile.compile(DAG_FILE, cfile=os.path.join(tmp, "dag.pyc"), doraise=True)

    def test_dag_runs_prepare_then_train_then_fid(self):
        expected = commands.Settings.from_env(DAG_ENV)
        for airflow3, old in ((False, False), (True, False), (False, True)):
            with self.subTest(airflow3=airflow3, old_provider=old):
                result = run_dag(airflow3, old)
                self.assertEqual(1, result["dags"])
                self.assertEqual(["prepare", "train", "fid"], [t["task_id"] for t in result["tasks"]])
                self.assertEqual([["prepare", "train"], ["train", "fid"]], result["edges"])
                dag = result["dag"]
                self.assertEqual(1, dag["max_active_runs"])
                self.assertIs(False, dag["catchup"])
                tasks = {t["task_id"]: t["kwargs"] for t in result["tasks"]}
                for stage, kwargs in tasks.items():
                    self.assertEqual(commands.application_args(expected, stage), kwargs["application_args"])
                    self.assertEqual(commands.spark_conf(expected), kwargs["conf"])
                    self.assertNotIn("--fresh", kwargs["application_args"])
                    self.assertEqual(f"sparkgan-{stage}-{{{{ ds_nodash }}}}", kwargs["name"])
                    self.assertEqual("hdfs:///apps/sparkgan-0.1.0-cuda.jar", kwargs["application"])
                    self.assertEqual("4", kwargs["conf"]["spark.executor.instances"])
                    if old:
                        self.assertNotIn("deploy_mode", kwargs, "older providers take it from the connection")
                    else:
                        self.assertEqual("cluster", kwargs["deploy_mode"])
                        self.assertEqual("gpu", kwargs["yarn_queue"])
                train = tasks["train"]
                self.assertGreater(train["retries"], 0)
                self.assertGreater(train["retry_delay"]["timedelta_s"], 0)
                self.assertIn("run.id={{ ds_nodash }}", train["application_args"])
                self.assertEqual("hdfs:///sparkgan/runs/{{ ds_nodash }}",
                                 tasks["fid"]["application_args"][tasks["fid"]["application_args"].index("--run") + 1])

    def test_rendered_run_id_is_a_valid_run_id(self):
        rendered = [a.replace("{{ ds_nodash }}", "20261121") for a in commands.application_args(settings(), "train")]
        run_id = rendered[rendered.index("--set") + 1].split("=", 1)[1]
        self.assertRegex(run_id, r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


# --- the deploy scripts ------------------------------------------------------------------------------

def script_env(s: commands.Settings, **extra: str) -> dict:
    """The SPARKGAN_* variables that describe `s` to the deploy scripts (the names are shared)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPARKGAN_") and k not in ("SPARK_HOME", "SPARK_SUBMIT")}
    for f in dataclasses.fields(s):
        value = getattr(s, f.name)
        if f.name == "extra_conf" or value == "":
            continue
        env["SPARKGAN_" + f.name.upper()] = str(value)
    env.update(extra)
    return env


def dry_run(cluster: str, args: list, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", SCRIPTS[cluster], "--dry-run", *args], env=env, capture_output=True, text=True,
                          timeout=30)


def parse_submit(argv: list) -> dict:
    """spark-submit argv → its options, its --conf settings, the jar and the application's arguments."""
    options, conf = {}, {}
    i = 1
    while i < len(argv) and argv[i].startswith("--"):
        if argv[i] == "--conf":
            key, value = argv[i + 1].split("=", 1)
            conf[key] = value
        else:
            options[argv[i]] = argv[i + 1]
        i += 2
    return {"binary": argv[0], "options": options, "conf": conf, "jar": argv[i], "args": argv[i + 1:]}


class DeployScriptsTest(unittest.TestCase):
    CASES = {
        "yarn": dict(cluster="yarn", yarn_queue="gpu", executors=4, executor_cores=8, executor_offheap_gb=24),
        "kubernetes": dict(cluster="kubernetes", jar="local:///opt/sparkgan/sparkgan.jar",
                           config="s3a://bucket/sparkgan/cluster-gpu.conf", output_dir="s3a://bucket/runs",
                           master="k8s://https://10.0.0.1:6443", k8s_image="registry.example/sparkgan-cuda:0.1.0",
                           k8s_namespace="ml", k8s_service_account="sparkgan",
                           k8s_pod_template=os.path.join(REPO, "deploy", "kubernetes", "gpu-pod-template.yaml"),
                           gpu_discovery_script="/opt/sparkgan/getGpusResources.sh"),
        "standalone": dict(cluster="standalone", master="spark://gpu-master:7077", executors=2),
    }

    def test_dry_runs_print_what_the_airflow_module_submits(self):
        for cluster, overrides in self.CASES.items():
            s = settings(**overrides)
            for stage, extra in (("prepare", []), ("train", ["--set", "fid.enabled=false"]),
                                 ("fid", ["--checkpoints", "all"])):
                with self.subTest(cluster=cluster, stage=stage):
                    done = dry_run(cluster, ["20261121", stage, *extra], script_env(s))
                    self.assertEqual(0, done.returncode, done.stderr)
                    self.assertEqual(1, len(done.stdout.splitlines()), "one line: the command")
                    printed = parse_submit(shlex.split(done.stdout))
                    expected = parse_submit(commands.spark_submit_argv(s, stage, "20261121"))
                    self.assertEqual(expected, printed)

    def test_yarn_dry_run_with_defaults(self):
        env = script_env(settings(), SPARKGAN_JAR="", SPARKGAN_CONFIG="", SPARKGAN_OUTPUT_DIR="")
        done = dry_run("yarn", ["nightly-1"], env)
        self.assertEqual(0, done.returncode, done.stderr)
        cmd = parse_submit(shlex.split(done.stdout))
        self.assertEqual("spark-submit", cmd["binary"])
        self.assertEqual({"--master": "yarn", "--deploy-mode": "cluster", "--name": "sparkgan-train-nightly-1",
                          "--class": "io.sparkgan.cli.Main",
                          "--files": f"{DISCOVERY},{os.path.join(REPO, 'conf', 'cluster-gpu.conf')}"}, cmd["options"])
        self.assertRegex(cmd["jar"], r"/target/sparkgan-[^/]+-cuda\.jar$")
        self.assertEqual(["train", "--config", "cluster-gpu.conf", "--set", "run.id=nightly-1"], cmd["args"])
        self.assertEqual("1", cmd["conf"]["spark.executor.resource.gpu.amount"])
        self.assertEqual(cmd["conf"]["spark.executor.cores"], cmd["conf"]["spark.task.cpus"])

    def test_local_master_gets_no_resource_settings(self):
        for cluster in SCRIPTS:
            with self.subTest(cluster=cluster):
                done = dry_run(cluster, ["r1", "train"], script_env(settings(cluster=cluster, master="local[4]")))
                self.assertEqual(0, done.returncode, done.stderr)
                self.assertNotIn(".resource.", done.stdout)
                self.assertIn("--master 'local[4]'", done.stdout)

    def test_cpu_executors_get_no_resource_settings_and_the_cpu_jar(self):
        for cluster in SCRIPTS:
            with self.subTest(cluster=cluster):
                env = script_env(settings(cluster=cluster, gpus_per_executor=0))
                done = dry_run(cluster, ["r1", "train"], env)
                self.assertEqual(0, done.returncode, done.stderr)
                self.assertNotIn(".resource.", done.stdout)
                self.assertEqual(commands.spark_conf(settings(cluster=cluster, gpus_per_executor=0)),
                                 parse_submit(shlex.split(done.stdout))["conf"])
        env = script_env(settings(cluster="standalone", gpus_per_executor=0))
        del env["SPARKGAN_JAR"]
        done = dry_run("standalone", ["r1"], env)
        self.assertRegex(parse_submit(shlex.split(done.stdout))["jar"], r"sparkgan-.*-spark\.jar$")
        wrong = dry_run("standalone", ["r1"], dict(env, SPARKGAN_GPUS_PER_EXECUTOR="2"))
        self.assertEqual(2, wrong.returncode)
        self.assertIn("SPARKGAN_GPUS_PER_EXECUTOR must be 1", wrong.stderr)

    def test_dry_run_from_the_environment_or_after_the_run_id_is_never_passed_on(self):
        env = script_env(settings())
        a = subprocess.run(["bash", SCRIPTS["yarn"], "r1", "train", "--dry-run", "--set", "train.steps=5"], env=env,
                           capture_output=True, text=True, timeout=30)
        b = subprocess.run(["bash", SCRIPTS["yarn"], "r1", "train", "--set", "train.steps=5"],
                           env=dict(env, SPARKGAN_DRY_RUN="1"), capture_output=True, text=True, timeout=30)
        self.assertEqual(0, a.returncode, a.stderr)
        self.assertEqual(a.stdout, b.stdout)
        self.assertNotIn("--dry-run", a.stdout)
        self.assertEqual(["--set", "train.steps=5"], parse_submit(shlex.split(a.stdout))["args"][-2:])

    def test_mistakes_stop_before_spark_submit(self):
        env = script_env(settings(), SPARKGAN_OUTPUT_DIR="")
        for args, message in ((["r1", "fid"], "fid needs the run directory"), (["a/b"], "run id 'a/b'"),
                              ([], "usage:")):
            with self.subTest(args=args):
                done = dry_run("yarn", args, env)
                self.assertEqual(2, done.returncode)
                self.assertIn(message, done.stderr)
                self.assertEqual("", done.stdout)
        missing = subprocess.run(["bash", SCRIPTS["standalone"], "r1"],
                                 env=dict(env, SPARKGAN_JAR="/nonexistent/sparkgan-cuda.jar"),
                                 capture_output=True, text=True, timeout=30)
        self.assertEqual(2, missing.returncode)
        self.assertIn("no jar at /nonexistent/sparkgan-cuda.jar", missing.stderr)

    def test_standalone_cluster_mode_driver_gets_the_java17_flags(self):
        done = dry_run("standalone", ["r1"], script_env(settings(cluster="standalone", deploy_mode="cluster")))
        self.assertEqual(0, done.returncode, done.stderr)
        options = parse_submit(shlex.split(done.stdout))["conf"]["spark.driver.extraJavaOptions"].split()
        self.assertEqual(pom_java17_flags(), {o for o in options if "javacpp" not in o})


class DiscoveryScriptTest(unittest.TestCase):
    def run_with_nvidia_smi(self, body: "str | None", visible: "str | None" = None) -> subprocess.CompletedProcess:
        env_extra = {} if visible is None else {"CUDA_VISIBLE_DEVICES": visible}
        with tempfile.TemporaryDirectory() as bin_dir:
            if body is not None:
                fake = os.path.join(bin_dir, "nvidia-smi")
                write(fake, "#!/bin/sh\n" + body)
                os.chmod(fake, 0o755)
            # only the fake (or nothing) on PATH: the script must need no other command
            return subprocess.run(["/bin/bash", DISCOVERY], env={"PATH": bin_dir, "HOSTNAME": "node7", **env_extra},
                                  capture_output=True, text=True, timeout=30)

    def test_prints_spark_resource_information_for_every_gpu(self):
        done = self.run_with_nvidia_smi(
            '[ "$*" = "--query-gpu=index --format=csv,noheader" ] || exit 9\nprintf "0\\n1\\n"\n')
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertEqual('{"name": "gpu", "addresses": ["0","1"]}\n', done.stdout)
        self.assertEqual({"name": "gpu", "addresses": ["0", "1"]}, json.loads(done.stdout))

    def test_cuda_visible_devices_are_renumbered_as_cuda_does(self):
        done = self.run_with_nvidia_smi('printf "0\\n1\\n2\\n3\\n"\n', visible="2,3")
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertEqual({"name": "gpu", "addresses": ["0", "1"]}, json.loads(done.stdout))

    def test_no_nvidia_smi_is_a_clear_error(self):
        done = self.run_with_nvidia_smi(None)
        self.assertNotEqual(0, done.returncode)
        self.assertEqual("", done.stdout)
        self.assertIn("nvidia-smi not found on node7", done.stderr)

    def test_failing_driver_or_no_gpus_is_an_error(self):
        failed = self.run_with_nvidia_smi('echo "NVIDIA-SMI has failed because it could not communicate with the'
                                          ' NVIDIA driver"\nexit 9\n')
        self.assertNotEqual(0, failed.returncode)
        self.assertIn("could not communicate with the NVIDIA driver", failed.stderr)
        self.assertEqual("", failed.stdout)
        none = self.run_with_nvidia_smi("exit 0\n")
        self.assertNotEqual(0, none.returncode)
        self.assertIn("lists no GPUs", none.stderr)


if __name__ == "__main__":
    unittest.main()
