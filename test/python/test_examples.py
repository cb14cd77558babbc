"""The files in examples/ are what a newcomer runs first: they must keep working."""

import re

from conftest import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.mlir"))


def test_examples_exist():
    """The README's first command runs an example; there must be some."""
    assert (ROOT / "examples" / "resnet-basic-block.mlir") in EXAMPLES


def test_every_example_verifies_and_every_compute_op_has_a_loop_nest(tandem_opt):
    for example in EXAMPLES:
        result = tandem_opt(str(example), "--accel-test-loop-nest")
        assert result.returncode == 0, f"{example.name}: {result.stderr}"
        compute_ops = re.findall(r"= accel\.(conv2d|matmul|pool2d|batch_norm|relu|add)\b", result.stdout)
        nests = re.findall(r"accel\.loop_nest = ", result.stdout)
        assert len(nests) >= len(compute_ops) > 0, example.name


def test_resnet_block_summary_totals(tandem_opt):
    """The block's MACs, worked out by hand: two 3x3 convs of
    64 * 64 * 56 * 56 * 9 = 115,605,504 MACs each, plus two inference
    batch norms at one MAC per element (64 * 56 * 56 = 200,704 each)."""
    result = tandem_opt(
        str(ROOT / "examples" / "resnet-basic-block.mlir"),
        "--accel-test-loop-nest=summary",
        "-o",
        "/dev/null",
    )
    assert result.returncode == 0, result.stderr
    total = [line for line in result.stdout.splitlines() if line.startswith("total")]
    assert len(total) == 1
    fields = total[0].split()
    assert fields[1:3] == ["7", "ops"]
    assert int(fields[3]) == 2 * 115_605_504 + 2 * 200_704


def test_invalid_input_names_the_file_and_exits_nonzero(tandem_opt, tmp_path):
    bad = tmp_path / "bad.mlir"
    bad.write_text(
        "func.func @f(%x: tensor<1x3x8x8xf32>, %w: tensor<4x5x3x3xf32>) {\n"
        "  %y = accel.conv2d %x, %w : (tensor<1x3x8x8xf32>, tensor<4x5x3x3xf32>)"
        " -> tensor<1x4x6x6xf32>\n  return\n}\n"
    )
    out = tmp_path / "out.mlir"
    result = tandem_opt(str(bad), "-o", str(out))
    assert result.returncode != 0
    assert "bad.mlir:2:8: error: 'accel.conv2d' op expects weight dim 1" in result.stderr
    assert not out.exists(), "no partial output file on error"
