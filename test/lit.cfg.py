# -*- Python -*-
# lit configuration for Tandem's IR and tool tests.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "Tandem"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".onnxtext", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tandem_obj_root, "test")
# Unit tests run under ctest and Python tests under pytest, not lit.
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Unit", "python", "Inputs"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%tandem_src", config.tandem_src_root))
config.substitutions.append(("%tandem_obj", config.tandem_obj_root))
config.substitutions.append(("%python", config.python_executable))
# Splits an .onnxtext file into models at lines "# -----" (the marker must
# not appear literally in the RUN line, or lit's own line would be split).
config.substitutions.append(("%split_onnx", "--split-input-file='# ''-----'"))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
# FileCheck, not, count and split-file come from llvm-22-tools.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.use_default_substitutions()

tool_dirs = [config.tandem_tools_dir, config.llvm_tools_dir]
tools = ["tandem-opt", "tandem-translate", "tandem-run", "tandem-codesign", "tandem-quantize",
         "mlir-translate"]
llvm_config.add_tool_substitutions(tools, tool_dirs)
