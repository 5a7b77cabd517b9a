# The `test` checker of the is-prime task in tasks.jsonl: runs the answer (Markdown fences allowed)
# and checks is_prime against the primes below 200. Exit code 0 passes.
import os
import re
import sys

answer = open(os.environ["ORCHESTRA_ANSWER_FILE"], encoding="utf-8").read()
fenced = re.search(r"```(?:python|py)?\s*\n(.*?)```", answer, re.S)
code = fenced.group(1) if fenced else answer
scope = {}
exec(code, scope)
is_prime = scope.get("is_prime")
if not callable(is_prime):
    sys.exit("the answer defines no function is_prime")
expected = [n for n in range(200) if n > 1 and all(n % d for d in range(2, int(n**0.5) + 1))]
got = [n for n in range(200) if is_prime(n)]
if got != expected:
    sys.exit(f"is_prime is wrong: it says {sorted(set(got) ^ set(expected))[:10]} the other way round")
print("is_prime is right for 0..199")
