"""jupyter_kernel_test conformance run against the installed 'd2l' kernelspec.

Run by test/kernel-conformance.test.ts with JUPYTER_PATH pointing at a temporary kernelspec install.
Every test method of jupyter_kernel_test gets a sample except test_pager (the d2l kernel has no pager).
"""
import unittest

import jupyter_kernel_test


class D2lKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "d2l"
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("something went wrong")'

    completion_samples = [
        {"text": "Math.ma", "matches": {"max"}},
        {"text": "const someLongName = 1;\nsomeLong", "matches": {"someLongName"}},
    ]

    complete_code_samples = ["const a = 1;", 'console.log("hi")', "function f() { return 1; }", ""]
    incomplete_code_samples = ["function f() {", "const xs = [1, 2,", "if (true) {\n  console.log(1);"]
    invalid_code_samples = ["const = 1;", "}}", "let 1x = 2;"]

    code_generate_error = 'throw new Error("boom")'

    code_execute_result = [
        {"code": "1+2", "result": "3"},
        {"code": '"a" + "b"', "result": "'ab'"},
        {"code": "[1, 2, 3].length", "result": "3"},
    ]

    code_display_data = [
        {"code": 'display({"text/html": "<b>hi</b>", "text/plain": "hi"})', "mime": "text/html"},
        {"code": 'display({"image/svg+xml": "<svg xmlns=\'http://www.w3.org/2000/svg\'/>", "text/plain": "svg"})', "mime": "image/svg+xml"},
        {"code": 'display("plain text")', "mime": "text/plain"},
    ]

    code_history_pattern = "1?2"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "Math.max"

    code_clear_output = "clearOutput()"


if __name__ == "__main__":
    unittest.main(verbosity=2)
