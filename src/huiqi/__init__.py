"""Huiqi (惠企): one platform for a city's services to enterprises."""
