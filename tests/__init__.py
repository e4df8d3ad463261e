"""Tests of the SMM Panel project."""
