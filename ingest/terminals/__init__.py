"""Fingerprint and face terminals: ZKTeco PUSH (ADMS / iclock), pull over TCP 4370, USB files."""
