"""newsdesk's indexer: articles, store, entities, index and the search service.

The public API, for scripts and the web app::

    from indexer import DataDir, SearchRequest, SearchService
    service = SearchService(DataDir.resolve("data"))
    result = service.search(SearchRequest.from_params({"q": "ground invasion", "country": "LB"}))
"""
from . import pipeline
from .articles import Article, Official
from .config import DataDir
from .errors import BadInput, BadRequest, IndexUnavailable, NewsdeskError, NotFound
from .search import FacetValue, SearchRequest, SearchResult, SearchService
from .store import Store

__all__ = [
    "Article", "BadInput", "BadRequest", "DataDir", "FacetValue", "IndexUnavailable",
    "NewsdeskError", "NotFound", "Official", "SearchRequest", "SearchResult", "SearchService",
    "Store", "pipeline",
]
